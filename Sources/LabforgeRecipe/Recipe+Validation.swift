// Checks a recipe can be right before any disk is touched: names, paths, ports, users, modes.
import Naming

extension Recipe {
    /// Checks everything the compiler cannot.
    /// - Throws: The first ``RecipeError`` found.
    public func validate() throws {
        // Name and version become `images/<name>/<version>/`, object names, tags and YAML: one rule each (Naming).
        guard DNSLabel.isValid(name) else { throw RecipeError.invalidName(name) }
        guard ImageVersion.isValid(version) else { throw RecipeError.invalidVersion(recipe: name, version: version) }
        guard minimumCPUs > 0, minimumMemoryMiB > 0 else {
            throw RecipeError.invalidResources(recipe: name, detail: "minimum CPUs and memory must be positive")
        }
        if let diskSizeGiB, diskSizeGiB <= 0 {
            throw RecipeError.invalidResources(recipe: name, detail: "disk size must be positive")
        }
        if targets.contains(.vm), firmware.isEmpty { throw RecipeError.noFirmware(recipe: name) }
        for architecture in architectures where architecture != .amd64 { _ = try building(for: architecture) }
        try validateAgents()
        var users: Set<String> = ["root"]
        for item in body {
            switch item {
            case .step(let step):
                try validate(step)
                if case .createUser(let account) = step { users.insert(account.name) }
            case .agent(let agent):
                for step in agent.steps { try validate(step) }
                for user in agent.users where !users.contains(user) {
                    throw RecipeError.unknownUser(recipe: name, agent: agent.kind, user: user)
                }
            case .tasks(let tasks):
                try validate(tasks)
                for step in tasks.steps { try validate(step) }
                guard users.contains(tasks.user) else { throw RecipeError.unknownUser(recipe: name, agent: "LabTasks", user: tasks.user) }
            case .lifetime(let lifetime):
                try validate(lifetime)
            }
        }
    }

    private func validate(_ tasks: LabTasks) throws {
        guard body.filter({ if case .tasks = $0 { return true } else { return false } }).count == 1 else {
            throw RecipeError.invalidTasks(recipe: name, task: nil, reason: "LabTasks appears more than once; put every task in one LabTasks")
        }
        guard !tasks.tasks.isEmpty else { throw RecipeError.invalidTasks(recipe: name, task: nil, reason: "LabTasks holds no task") }
        guard tasks.tasks.count <= LabTasks.maximumCount else {
            throw RecipeError.invalidTasks(recipe: name, task: nil, reason: "\(tasks.tasks.count) tasks; a lab holds at most \(LabTasks.maximumCount)")
        }
        guard (1...3600).contains(tasks.checkTimeoutSeconds) else {
            throw RecipeError.invalidTasks(recipe: name, task: nil, reason: "check timeout \(tasks.checkTimeoutSeconds)s is outside 1–3600 s")
        }
        for (index, task) in tasks.tasks.enumerated() {
            func refuse(_ reason: String) -> RecipeError { .invalidTasks(recipe: name, task: "\(index + 1) (\(MessageText.quoted(task.title)))", reason: reason) }
            let blank: (String) -> Bool = { $0.allSatisfy(\.isWhitespace) }
            guard !blank(task.title) else { throw refuse("the title is empty") }
            guard !task.title.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                throw refuse("the title is one line of text (no line break, tab or other control character)")
            }
            guard !blank(task.check) else { throw refuse("the check script is empty; it must exit 0 once the task is done") }
            if let solve = task.solve, blank(solve) { throw refuse("the solve script is empty; leave solve out instead") }
            let texts = [task.instructions, task.check, task.solve ?? "", task.hint ?? ""]
            guard !texts.contains(where: { $0.contains("\0") }) else { throw refuse("a text or script contains NUL") }
        }
    }

    private func validate(_ lifetime: LabLifetime) throws {
        func refuse(_ reason: String) -> RecipeError { .invalidLifetime(recipe: name, reason: reason) }
        guard body.filter({ if case .lifetime = $0 { return true } else { return false } }).count == 1 else {
            throw refuse("LabLifetime appears more than once")
        }
        guard lifetime.idleStop != nil || lifetime.timeLimit != nil else { throw refuse("it sets neither idleStop nor timeLimit") }
        guard lifetime.warning >= .zero else { throw refuse("the warning is negative") }
        for (label, window) in [("idleStop", lifetime.idleStop), ("timeLimit", lifetime.timeLimit)] {
            guard let window else { continue }
            let seconds = LabLifetime.seconds(window), warning = LabLifetime.seconds(lifetime.warning)
            guard window >= LabLifetime.minimumWindow else {
                throw refuse("\(label) (\(seconds) s) is shorter than \(LabLifetime.seconds(LabLifetime.minimumWindow)) s")
            }
            guard lifetime.warning < window else { throw refuse("the warning (\(warning) s) is not shorter than \(label) (\(seconds) s)") }
        }
        for port in lifetime.extraPorts where !(1...65535).contains(port) {
            throw refuse("extra port \(port) is not a TCP port (1–65535)")
        }
    }

    private func validateAgents() throws {
        var kinds: Set<String> = []
        var owners: [Int: [String]] = [:]
        for agent in agents {
            guard kinds.insert(agent.kind).inserted else { throw RecipeError.duplicateAgent(recipe: name, agent: agent.kind) }
            for port in agent.ports {
                guard (1...65535).contains(port.port) else { throw RecipeError.invalidPort(recipe: name, agent: agent.kind, port: port.port) }
                owners[port.port, default: []].append(agent.kind)
            }
            try validateAuth(of: agent)
            if case .webDesktop(let desktop) = agent {
                // The loopback VNC port is the agent's too, even though it is not exposed.
                guard (1...65535).contains(desktop.vncPort) else {
                    throw RecipeError.invalidPort(recipe: name, agent: agent.kind, port: desktop.vncPort)
                }
                owners[desktop.vncPort, default: []].append(agent.kind + " (VNC)")
            }
        }
        if let conflict = owners.filter({ $0.value.count > 1 }).min(by: { $0.key < $1.key }) {
            throw RecipeError.portConflict(recipe: name, port: conflict.key, agents: conflict.value)
        }
    }

    private func validateAuth(of agent: Agent) throws {
        func refuse(_ reason: String) -> RecipeError { .invalidAgentAuth(recipe: name, agent: agent.kind, reason: reason) }
        let breaksLines: (String) -> Bool = { $0.contains { $0.isNewline || $0 == "\0" } }
        switch agent {
        case .webTerminal(let terminal):
            switch terminal.auth {
            case .fixed(let credential):
                guard !credential.username.isEmpty, !credential.password.isEmpty else { throw refuse("a fixed credential needs a user name and a password") }
                guard !credential.username.contains(":") else { throw refuse("the user name of a fixed credential cannot contain ':'") }
                guard !breaksLines(credential.username), !breaksLines(credential.password) else {
                    throw refuse("a fixed credential cannot contain a line break or NUL")
                }
            case .proxyHeader(let header):
                let token = header.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_".contains($0)) }
                guard !header.isEmpty, token else { throw refuse("\"\(header)\" is not an HTTP header name (letters, digits, '-', '_')") }
            case .bootCredential, .unauthenticated:
                break
            }
        case .webDesktop(let desktop):
            if case .fixedPassword(let password) = desktop.auth {
                // tigervncpasswd wants 6 characters; VNC authentication ignores everything after the 8th.
                guard (6...8).contains(password.count), password.allSatisfy({ $0.isASCII && !$0.isNewline && $0 != "\0" }) else {
                    throw refuse("a fixed VNC password must be 6–8 ASCII characters without line breaks (VNC authentication uses 8)")
                }
            }
        case .cloudInit:
            break
        }
    }

    private func validate(_ step: Step) throws {
        for path in step.guestPaths where !path.hasPrefix("/") {
            throw RecipeError.relativeGuestPath(recipe: name, step: step.title, path: path)
        }
        switch step {
        case .install(let packages):
            if packages.isEmpty { throw RecipeError.emptyPackageList(recipe: name, step: step.title) }
            for package in packages {
                switch package.source {
                case .repositories: break
                case .artifact(let artifact), .repositoriesElse(let artifact): try validate(artifact)
                }
            }
        case .remove(let packages):
            if packages.isEmpty { throw RecipeError.emptyPackageList(recipe: name, step: step.title) }
        case .writeFile(_, _, let mode, let owner), .makeDirectory(_, let mode, let owner):
            guard (0...0o7777).contains(mode) else { throw RecipeError.invalidMode(recipe: name, step: step.title, mode: mode) }
            try validate(owner)
        case .upload(_, _, let owner):
            if let owner { try validate(owner) }
        case .createUser(let account):
            try validate(account)
        case .unit(let unit, _):
            let suffixes = [".service", ".socket", ".timer", ".target", ".path", ".mount"]
            guard !unit.contains("/"), suffixes.contains(where: { unit.hasSuffix($0) && unit.count > $0.count }) else {
                throw RecipeError.invalidUnitName(recipe: name, name: unit)
            }
        case .firstBoot(let bootName, _):
            guard !bootName.isEmpty, bootName.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
                throw RecipeError.invalidFirstBootName(recipe: name, name: bootName)
            }
        case .hostname(let host):
            guard DNSLabel.isValid(host) else { throw RecipeError.invalidHostname(recipe: name, hostname: host) }
        case .growRoot(let size):
            guard size > 0 else { throw RecipeError.invalidResources(recipe: name, detail: "GrowDisk size must be positive") }
        default:
            break
        }
    }

    private func validate(_ owner: FileOwner) throws {
        for part in [owner.user, owner.group] where !(Self.isUserName(part) || part.allSatisfy(\.isNumber)) {
            throw RecipeError.invalidUserName(recipe: name, name: part)
        }
    }

    private func validate(_ artifact: PinnedArtifact) throws {
        let hex = artifact.sha256.count == 64 && artifact.sha256.allSatisfy { "0123456789abcdef".contains($0) }
        guard hex, artifact.url.hasPrefix("http://") || artifact.url.hasPrefix("https://") else {
            throw RecipeError.invalidArtifact(recipe: name, url: artifact.url)
        }
        if artifact.kind == .executable, !(artifact.installPath?.hasPrefix("/") ?? false) {
            throw RecipeError.relativeGuestPath(recipe: name, step: "install \(artifact.fileName)", path: artifact.installPath ?? "")
        }
    }

    /// Whether `text` is a DNS-1123 label.
    /// - Parameter text: The candidate.
    /// - Returns: True when ``DNSLabel/problem(_:)`` finds nothing.
    public static func isDNSLabel(_ text: String) -> Bool { DNSLabel.isValid(text) }

    static func isUserName(_ text: String) -> Bool {
        guard (1...32).contains(text.unicodeScalars.count), let first = text.unicodeScalars.first,
              ("a"..."z").contains(first) || first == "_" else { return false }
        return text.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" }
    }

    static func isCryptHash(_ text: String) -> Bool {
        text.hasPrefix("$") && text.split(separator: "$").count >= 3 && !text.contains(":")
    }
}
