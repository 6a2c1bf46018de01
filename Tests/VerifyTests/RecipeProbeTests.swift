// A recipe's declared agents become the probes `labforge verify --recipe` and `labforge build` run.
import LabforgeRecipe
import Recipes
import Testing
import Verify

@Suite("Probes from recipes")
struct RecipeProbeTests {
    @Test func shippedDesktopRecipeProbesEveryAgent() {
        let plan = ProbePlan(recipe: Recipes.debianDesktop)
        #expect(plan.userName == "student")
        #expect(plan.targets == [
            .webTerminal(port: 7681, path: "ws"), .webDesktop(port: 6080, path: "vnc.html", websocketPath: "websockify"),
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
        #expect(Set(plan.targets.dropFirst()) == [.ssh, .cloudInit, .guestAgent])
    }
}
