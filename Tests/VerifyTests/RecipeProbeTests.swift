// A recipe's declared agents become the probes `labforge verify --recipe` and `labforge build` run.
import LabforgeRecipe
import Recipes
import Testing
import Verify

@Suite("Probes from recipes")
struct RecipeProbeTests {
    @Test func shippedDesktopRecipeProbesEveryAgent() throws {
        let recipe = Recipes.debianDesktop
        let plan = ProbePlan(recipe: recipe)
        #expect(plan.userName == "student")
        let desktop = try #require(recipe.agents.lazy.compactMap { agent -> WebDesktop? in if case .webDesktop(let desktop) = agent { desktop } else { nil } }.first)
        let terminal = try #require(recipe.agents.lazy.compactMap { agent -> WebTerminal? in if case .webTerminal(let terminal) = agent { terminal } else { nil } }.first)
        // The agents, the terminal's ZMODEM when it has file transfer, the desktop's proofs (the panel of an Xfce
        // session, the clipboard as the recipe sets it), then what the platform relies on.
        #expect(plan.targets == [
            .webTerminal(port: 7681, path: "ws"), .webDesktop(port: 6080, path: "vnc.html", websocketPath: "websockify"),
        ] + (terminal.fileTransfer ? [.fileTransfer(port: 7681, path: "ws")] : []) + [
            .desktopSession(port: 6080, websocketPath: "websockify", panel: desktop.session == .xfce ? "xfce4-panel" : nil),
            .desktopResize(port: 6080, websocketPath: "websockify"),
            .clipboard(port: 6080, websocketPath: "websockify", display: desktop.display, enabled: desktop.clipboard),
            .ssh, .cloudInit, .guestAgent,
        ])
    }

    @Test func basePathsAndPortsComeFromTheAgents() {
        let recipe = Recipe(name: "proxied-lab") {
            CreateUser("coder")
            WebTerminal(port: 8080, user: "coder", basePath: "/lab/term")
        }
        let plan = ProbePlan(recipe: recipe)
        #expect(plan.userName == "coder")
        #expect(plan.targets.first == .webTerminal(port: 8080, path: "lab/term/ws"))
        #expect(Set(plan.targets.dropFirst()) == [.fileTransfer(port: 8080, path: "lab/term/ws"), .ssh, .cloudInit, .guestAgent])
    }
}
