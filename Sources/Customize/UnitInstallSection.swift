// Reads a systemd unit's [Install] section: what `systemctl enable` would link, done here without systemctl.

/// The `[Install]` entries of a unit file.
struct UnitInstallSection: Equatable, Sendable {
    var wantedBy: [String] = []
    var requiredBy: [String] = []
    var aliases: [String] = []
    var also: [String] = []

    /// Whether enabling would create any link.
    var isEmpty: Bool { wantedBy.isEmpty && requiredBy.isEmpty && aliases.isEmpty }

    /// Parses unit file text (comments, continuation-free `Key=a b c` lines, repeated keys accumulate).
    init(unitText: String) {
        var inInstall = false
        for rawLine in unitText.split(separator: "\n") {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") {
                inInstall = line == "[Install]"
                continue
            }
            guard inInstall, let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            let values = line[line.index(after: equals)...].split(separator: " ").map(String.init).filter { !$0.isEmpty }
            switch key {
            case "WantedBy": wantedBy += values
            case "RequiredBy": requiredBy += values
            case "Alias": aliases += values
            case "Also": also += values
            default: break
            }
        }
    }

    /// The links enabling creates: link path → target (the unit's own path).
    func links(unitName: String, unitPath: String) -> [(link: String, target: String)] {
        let base = "/etc/systemd/system"
        return wantedBy.map { ("\(base)/\($0).wants/\(unitName)", unitPath) }
            + requiredBy.map { ("\(base)/\($0).requires/\(unitName)", unitPath) }
            + aliases.map { ("\(base)/\($0)", unitPath) }
    }
}
