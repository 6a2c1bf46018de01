// A recipe's declared probes (from its agents) as the probes `labforge verify` runs.
import LabforgeRecipe

extension ProbePlan {
    /// The probes a recipe's agents declare — the browser-facing ones first, in recipe order — then what its agents
    /// promise a student (a desktop with a panel, Xfce: a non-blank screen with the panel running; every web desktop:
    /// resizing, the clipboard both ways or, switched off, neither way; a web terminal with file transfer: ZMODEM), then SSH,
    /// cloud-init and the guest agent (always checked: the platform relies on them), then the lab's life: `lab-tasks`
    /// (``LabTasks``), `home-reset` (``PersistentHome``) and, last, `idle-stop` (a ``LabLifetime`` with an idle stop),
    /// for its lab user.
    /// - Parameter recipe: The recipe the disk was built from.
    public init(recipe: Recipe) {
        var targets: [ProbeTarget] = []
        let probes = recipe.probes
        func add(_ target: ProbeTarget) { if !targets.contains(target) { targets.append(target) } }
        func websocketPath(_ port: Int) -> String? {
            probes.lazy.compactMap { probe -> String? in
                if case .rfbViaWebsockify(port, let path) = probe { return Self.relative(path) + "websockify" } else { return nil }
            }.first
        }
        for probe in probes {
            switch probe {
            case .ttydWebSocket(let port, let path):
                add(.webTerminal(port: port, path: Self.relative(path) + "ws"))
            case .rfbViaWebsockify(let port, let path):
                // The page probe of the same port (noVNC's vnc.html) is part of the web-desktop probe.
                let page = probes.lazy.compactMap { probe -> String? in
                    if case .httpPage(port, let page, _) = probe { return Self.relative(page) } else { return nil }
                }.first ?? Self.relative(path) + "vnc.html"
                add(.webDesktop(port: port, path: page, websocketPath: Self.relative(path) + "websockify"))
            case .httpPage, .sshBanner, .guestAgentPing, .cloudInitDone:
                continue  // a page is part of its desktop probe; the rest are in the basic set below
            }
        }
        for agent in recipe.agents {
            switch agent {
            case .webDesktop(let desktop):
                let path = websocketPath(desktop.port) ?? "websockify"
                // A desktop with a panel must show more than one colour; the minimal session (one full-screen xterm,
                // white) is plumbing, not a desktop: it gets the resize and clipboard proofs only.
                if let panel = Self.panelProcess(desktop.session) {
                    add(.desktopSession(port: desktop.port, websocketPath: path, panel: panel))
                }
                add(.desktopResize(port: desktop.port, websocketPath: path))
                add(.clipboard(port: desktop.port, websocketPath: path, display: desktop.display, enabled: desktop.clipboard))
            case .webTerminal(let terminal) where terminal.fileTransfer:
                add(.fileTransfer(port: terminal.port, path: Self.relative(terminal.normalizedBasePath) + "ws"))
            case .webTerminal, .cloudInit:
                continue
            }
        }
        for target in ProbePlan.basic { add(target) }
        if recipe.tasks != nil { add(.labTasks) }
        if Self.hasPersistentHome(recipe) { add(.homeReset) }
        if recipe.lifetime?.idleStop != nil { add(.idleStop) }
        let user = recipe.agents.flatMap(\.users).first { $0 != "root" } ?? "student"
        self.init(userName: user, targets: targets, access: AgentAccess(recipe: recipe))
    }

    /// Whether the recipe puts /home on the per-student disk: its plan writes ``PersistentHome/scriptPath``.
    static func hasPersistentHome(_ recipe: Recipe) -> Bool {
        recipe.plan.contains { if case .writeFile(PersistentHome.scriptPath, _, _, _) = $0.step { return true } else { return false } }
    }

    /// The process that shows a session's panel, if it has one: Xfce's `xfce4-panel`; the minimal session
    /// (matchbox and an xterm) has none.
    static func panelProcess(_ session: WebDesktop.Session) -> String? {
        switch session {
        case .minimal: return nil
        case .xfce: return "xfce4-panel"
        }
    }

    /// A URL path without its leading slash (probes take paths relative to the server root).
    static func relative(_ path: String) -> String {
        String(path.drop { $0 == "/" })
    }
}
