// The recipe DSL: plans, declarations and validation errors, without touching a disk.
import Foundation
import LabforgeRecipe
import Recipes
import Testing

@Suite("recipe DSL")
struct RecipeTests {
    @Test("the body keeps its order; agents expand in place; sysprep comes last")
    func planOrder() {
        let recipe = Recipe(name: "demo") {
            Install("git")
            CreateUser("student")
            WebTerminal(user: "student")
            Run("echo done")
        }
        let plan = recipe.plan
        #expect(plan.first?.step == .install([PackageRequest("git")]))
        #expect(plan.map(\.number) == Array(1...plan.count))
        #expect(plan.last?.step == .sysprep(.standard))
        #expect(plan.last?.origin == .sysprep)
        let terminalSteps = plan.filter { $0.origin == .agent("WebTerminal") }
        #expect(terminalSteps.contains { $0.step == .unit(name: WebTerminal.unitName, action: .enable) })
        // Agents that read boot credentials bring the unit that hands them over, after every agent.
        #expect(plan[plan.count - 2].step == .unit(name: BootCredentials.unitName, action: .enable))
        #expect(plan.contains { $0.step == .run(script: "echo done") && $0.origin == .recipe })
    }

    @Test("GrowDisk runs first whatever its place; no sysprep when the recipe opts out")
    func growFirst() {
        let recipe = Recipe(name: "grow", sysprep: nil) {
            Install("git")
            GrowDisk(toGiB: 8)
        }
        #expect(recipe.plan.map(\.step) == [.growRoot(sizeGiB: 8), .install([PackageRequest("git")])])
    }

    @Test("the ttyd unit is writable, on its port, as its user, hardened; ttyd comes from the pinned sid .deb when the guest lacks it")
    func terminalUnit() throws {
        let terminal = WebTerminal(port: 7700, user: "student", basePath: "/lab/term")
        let text = terminal.unit.text
        #expect(text.contains("ExecStart=\(WebTerminal.scriptPath)"))
        #expect(text.contains("Wants=lab-credentials.service"))
        // The script serves only with the boot credential, and says why it does not.
        #expect(terminal.script.contains("exec /usr/bin/ttyd --port 7700 --debug 3 --check-origin --writable --base-path /lab/term --credential \"$credential\" --client-option enableZmodem=true /bin/bash --login"))
        #expect(terminal.script.contains("not serving a shell without it"))
        #expect(terminal.script.contains("exit 78"))
        #expect(WebTerminal(auth: .proxyHeader("X-Remote-User")).script.contains("--auth-header X-Remote-User"))
        #expect(!WebTerminal(auth: .unauthenticated).script.contains("--credential"))
        #expect(text.contains("User=student"))
        #expect(text.contains("NoNewPrivileges=yes"))
        #expect(text.contains("WantedBy=multi-user.target"))
        #expect(terminal.ports == [AgentPort(name: "terminal", port: 7700, protocol: .http, path: "/lab/term/")])
        #expect(terminal.probes == [.ttydWebSocket(port: 7700, path: "/lab/term/")])
        #expect(terminal.steps.first == .install([PackageRequest("ttyd", source: .repositoriesElse(WebTerminal.debianSidPackage)), PackageRequest("lrzsz")]))
        #expect(WebTerminal.debianSidPackage.url.hasPrefix("http://deb.debian.org/debian/pool/main/t/ttyd/"))
        // With sudo, the session is not locked out of privilege escalation.
        #expect(!WebTerminal(allowPrivilegeEscalation: true).unit.text.contains("NoNewPrivileges"))
    }

    @Test("the desktop binds VNC to loopback, serves noVNC on its port and skips the nodejs-pulling novnc package")
    func desktopUnits() {
        let desktop = WebDesktop()
        let texts = desktop.units.map(\.text).joined()
        #expect(desktop.script.contains("-localhost"))
        #expect(desktop.script.contains("-rfbport 5901"))
        #expect(desktop.script.contains("-SecurityTypes VncAuth -PasswordFile \"$passwords\""))
        #expect(!desktop.script.contains("None"))
        #expect(desktop.packages.contains("tigervnc-tools"))
        #expect(WebDesktop(auth: .unauthenticated).script.contains("-SecurityTypes None"))
        #expect(texts.contains("websockify --web /usr/share/novnc 6080 127.0.0.1:5901"))
        #expect(texts.contains("DynamicUser=yes"))
        #expect(texts.contains("ProtectSystem=strict"))
        #expect(!desktop.packages.contains("novnc"))
        #expect(desktop.steps.contains(.extractPackageFiles(package: "novnc", path: "/usr/share/novnc")))
        #expect(desktop.ports.map(\.port) == [6080])
        #expect(desktop.probes.contains(.rfbViaWebsockify(port: 6080, path: "/")))
        #expect(WebDesktop(session: .xfce).packages.contains("xfce4-panel"))
    }

    @Test("cloud-init is limited to the datasources KubeVirt provides, without cc_locale")
    func cloudInitConfig() {
        let text = CloudInit().configuration
        #expect(text.contains("datasource_list: [ NoCloud, ConfigDrive, None ]"))
        #expect(text.contains("locale: false"))
    }

    @Test("ports and probes are exposed on the recipe for manifests and verify")
    func declarations() {
        let recipe = Recipes.debianDesktop
        #expect(recipe.ports.map(\.port) == [7681, 6080])
        #expect(recipe.ports.map(\.name) == ["terminal", "desktop"])
        #expect(recipe.probes.contains(.ttydWebSocket(port: 7681, path: "/")))
        #expect(recipe.probes.contains(.guestAgentPing))
    }

    @Test("shipped recipes are valid and uniquely named, and survive JSON (what a compiled recipes program writes)")
    func shippedRecipes() throws {
        for recipe in shipped { try recipe.validate() }
        #expect(shipped.map(\.name) == ["debian-terminal", "debian-desktop", "python-lab", "linux-basics"])
        #expect(Recipes.debianDesktop.agents.map(\.kind) == ["CloudInit", "WebTerminal", "WebDesktop"])
        // The shipped desktop is the Xfce one, with the clipboard and file transfer on.
        #expect(Recipes.debianDesktop.agents.contains(.webDesktop(WebDesktop(port: 6080, user: "student", session: .xfce))))
        #expect(Recipes.debianDesktop.agents.contains(.webTerminal(WebTerminal(port: 7681, user: "student", fileTransfer: true))))
        let decoded = try JSONDecoder().decode([Recipe].self, from: JSONEncoder().encode(shipped))
        #expect(decoded == shipped)
    }
}

@Suite("recipe validation")
struct RecipeValidationTests {
    @Test("names must be DNS-1123 labels", arguments: ["Debian", "-lab", "lab-", "", "a_b", String(repeating: "a", count: 64)])
    func invalidNames(name: String) {
        #expect(throws: RecipeError.invalidName(name)) { try Recipe(name: name) {}.validate() }
    }

    @Test("two agents on one port are refused, naming both")
    func portConflict() {
        let recipe = Recipe(name: "clash") {
            CreateUser("student")
            WebTerminal(port: 6080)
            WebDesktop(port: 6080)
        }
        #expect(throws: RecipeError.portConflict(recipe: "clash", port: 6080, agents: ["WebTerminal", "WebDesktop"])) {
            try recipe.validate()
        }
    }

    @Test("a terminal on the desktop's loopback VNC port is refused too")
    func vncPortConflict() {
        let recipe = Recipe(name: "clash") {
            CreateUser("student")
            WebTerminal(port: 5901)
            WebDesktop()
        }
        #expect(throws: RecipeError.self) { try recipe.validate() }
    }

    @Test("relative guest paths are refused, naming the step")
    func relativePath() {
        let recipe = Recipe(name: "rel") { WriteFile("etc/motd", contents: "hi") }
        #expect(throws: RecipeError.relativeGuestPath(recipe: "rel", step: "write etc/motd (644, root:root)", path: "etc/motd")) {
            try recipe.validate()
        }
    }

    @Test("an agent running as a user the recipe does not create is refused")
    func unknownUser() {
        let recipe = Recipe(name: "nouser") { WebTerminal(user: "student") }
        #expect(throws: RecipeError.unknownUser(recipe: "nouser", agent: "WebTerminal", user: "student")) { try recipe.validate() }
    }

    @Test("clear-text passwords, bad modes, bad unit names, duplicate agents, empty package lists are refused")
    func otherErrors() {
        #expect(throws: RecipeError.passwordNotHashed(recipe: "r", user: "u")) {
            try Recipe(name: "r") { CreateUser("u", passwordHash: "secret") }.validate()
        }
        #expect(throws: RecipeError.invalidMode(recipe: "r", step: "write /x (20000, root:root)", mode: 0o20000)) {
            try Recipe(name: "r") { WriteFile("/x", contents: "", mode: 0o20000) }.validate()
        }
        #expect(throws: RecipeError.invalidUnitName(recipe: "r", name: "ssh")) {
            try Recipe(name: "r") { EnableUnit("ssh") }.validate()
        }
        #expect(throws: RecipeError.duplicateAgent(recipe: "r", agent: "CloudInit")) {
            try Recipe(name: "r") { CloudInit(); CloudInit() }.validate()
        }
        #expect(throws: RecipeError.emptyPackageList(recipe: "r", step: "install ")) {
            try Recipe(name: "r") { Install([String]()) }.validate()
        }
        #expect(throws: RecipeError.invalidArtifact(recipe: "r", url: "ftp://x/y.deb")) {
            try Recipe(name: "r") {
                Install([PackageRequest("y", source: .artifact(PinnedArtifact(url: "ftp://x/y.deb", sha256: "00")))])
            }.validate()
        }
        #expect(throws: Never.self) {
            try Recipe(name: "ok") { CreateUser("u", passwordHash: "$6$salt$hash") }.validate()
        }
    }

    @Test("error messages name the recipe, the step and what to do")
    func messages() {
        let message = RecipeError.relativeGuestPath(recipe: "r", step: "write etc/motd", path: "etc/motd").description
        #expect(message.contains("recipe r") && message.contains("write etc/motd") && message.contains("/etc/motd"))
    }

    @Test("shipped recipes use boot credentials; fixed credentials and open agents are explicit and checked")
    func agentAuth() throws {
        for recipe in shipped {
            for agent in recipe.agents {
                if case .webTerminal(let terminal) = agent { #expect(terminal.auth == .bootCredential, "\(recipe.name)") }
                if case .webDesktop(let desktop) = agent { #expect(desktop.auth == .bootPassword, "\(recipe.name)") }
            }
            // The credentials unit copies exactly the keys the agents read, to the tmpfs, for their users.
            let script = recipe.plan.compactMap { planned -> String? in
                if case .writeFile(let path, let contents, _, _) = planned.step, path == "/usr/libexec/labforge/lab-credentials" { return contents }
                return nil
            }.first
            #expect(script?.contains("-g student \"$mnt/terminal-credential\" \"$target/terminal-credential\"") == true, "\(recipe.name)")
            #expect(script?.contains("target=/run/labforge/credentials") == true)
        }
        let user = CreateUser("student", uid: 1000)
        func recipe(_ terminal: WebTerminal, _ desktop: WebDesktop = WebDesktop()) -> Recipe {
            Recipe(name: "r") { user; terminal; desktop }
        }
        #expect(throws: RecipeError.self) { try recipe(WebTerminal(auth: .fixed(.init(username: "a:b", password: "p")))).validate() }
        #expect(throws: RecipeError.self) { try recipe(WebTerminal(auth: .fixed(.init(username: "a", password: "p\nstudent:x")))).validate() }
        #expect(throws: RecipeError.self) { try recipe(WebTerminal(auth: .proxyHeader("X User"))).validate() }
        #expect(throws: RecipeError.self) { try recipe(WebTerminal(), WebDesktop(auth: .fixedPassword("short"))).validate() }
        #expect(throws: RecipeError.self) { try recipe(WebTerminal(), WebDesktop(auth: .fixedPassword("muchtoolong"))).validate() }
        try recipe(WebTerminal(auth: .fixed(.init(username: "lab", password: "s3cret"))), WebDesktop(auth: .fixedPassword("s3cret12"))).validate()
        // Without agents that read credentials there is no credentials unit.
        let open = recipe(WebTerminal(auth: .unauthenticated), WebDesktop(auth: .unauthenticated))
        try open.validate()
        #expect(!open.plan.contains { $0.step == .unit(name: BootCredentials.unitName, action: .enable) })
    }
}

/// The shipped recipes (labforge itself finds them without a list: `labforge list recipes/`).
let shipped = [Recipes.debianTerminal, Recipes.debianDesktop, Recipes.pythonLab, Recipes.linuxBasics]
