// A recipe's agent ports become the agents manifests and the catalog expose (no second declaration).
import Kube
import LabforgeRecipe
import Recipes
import Testing

@Suite("Exposed agents from recipes")
struct RecipeAgentTests {
    @Test func desktopRecipeExposesTerminalAndDesktop() {
        let agents = ExposedAgent.agents(of: Recipes.debianDesktop)
        #expect(agents == [
            ExposedAgent(kind: .terminal, port: 7681, basePath: "/", auth: "boot-credential"),
            ExposedAgent(kind: .desktop, port: 6080, basePath: "/", entryPage: "vnc.html", auth: "boot-password"),
        ])
    }

    @Test func terminalBasePathIsKept() {
        let recipe = Recipe(name: "proxied-lab") {
            CreateUser("student")
            WebTerminal(port: 8080, basePath: "/lab/term/")
        }
        let agents = ExposedAgent.agents(of: recipe)
        #expect(agents.count == 1)
        #expect(agents.first?.port == 8080 && agents.first?.basePath == "/lab/term/" && agents.first?.kind == .terminal)
        #expect(ExposedAgent.agents(of: Recipe(name: "plain") { CloudInit() }).isEmpty)
        // An explicitly open terminal says so, and its readiness probe may GET the page.
        let open = Recipe(name: "open-lab") {
            CreateUser("student")
            WebTerminal(auth: .unauthenticated)
        }
        #expect(ExposedAgent.agents(of: open).first?.auth == "none")
    }
}
