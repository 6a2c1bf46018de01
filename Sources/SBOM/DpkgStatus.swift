// Reads dpkg's database of installed packages (`/var/lib/dpkg/status`, deb822 stanzas).

/// Parser for dpkg's `status` file.
public enum DpkgStatus {
    /// The packages whose `Status` is `install ok installed`, sorted.
    /// - Parameter text: The contents of `/var/lib/dpkg/status`.
    /// - Returns: One record per installed package; removed, half-configured and config-only entries are left out.
    /// - Throws: ``SBOMError/malformedPackageDatabase(path:reason:)`` for a stanza without `Package` or `Version`.
    public static func installedPackages(in text: String, path: String = "/var/lib/dpkg/status") throws -> [InstalledPackage] {
        var packages: [InstalledPackage] = []
        for (index, stanza) in Deb822.stanzas(in: text).enumerated() {
            guard stanza["Status"]?.split(separator: " ").map(String.init) == ["install", "ok", "installed"] else { continue }
            guard let name = stanza["Package"], !name.isEmpty else {
                throw SBOMError.malformedPackageDatabase(path: path, reason: "installed stanza \(index + 1) has no Package field")
            }
            guard let version = stanza["Version"], !version.isEmpty else {
                throw SBOMError.malformedPackageDatabase(path: path, reason: "installed package \(name) has no Version field")
            }
            // `Source: name` or `Source: name (version)` when the source version differs from the binary's.
            var sourceName: String?
            var sourceVersion: String?
            if let source = stanza["Source"] {
                let parts = source.split(separator: " ", maxSplits: 1).map(String.init)
                sourceName = parts.first
                if parts.count == 2 { sourceVersion = parts[1].trimmingCharacters(in: ["(", ")", " "]) }
            }
            packages.append(InstalledPackage(
                name: name, version: version, architecture: stanza["Architecture"] ?? "unknown",
                sourceName: sourceName, sourceVersion: sourceVersion, maintainer: stanza["Maintainer"],
                homepage: stanza["Homepage"], summary: stanza["Description"]
            ))
        }
        return packages.sorted()
    }
}

/// deb822 (Debian control file) paragraphs: `Field: value` lines, continuation lines start with a space or tab.
enum Deb822 {
    /// The paragraphs of `text`; each maps a field name to the first line of its value.
    /// Continuation lines are dropped: every field labforge reads (names, versions, license names) is on the first.
    static func stanzas(in text: String) -> [[String: String]] {
        var stanzas: [[String: String]] = []
        var current: [String: String] = [:]
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) {
                if !current.isEmpty { stanzas.append(current) }
                current = [:]
                continue
            }
            if line.first == " " || line.first == "\t" || line.first == "#" { continue }
            guard let colon = line.firstIndex(of: ":") else { continue }
            let field = String(line[..<colon])
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            // Field names are case-insensitive in deb822; keep the first spelling's canonical form.
            current[canonical(field)] = value
        }
        if !current.isEmpty { stanzas.append(current) }
        return stanzas
    }

    private static let known = ["Package", "Status", "Version", "Architecture", "Source", "Maintainer", "Homepage", "Description", "Files", "License", "Format"]

    private static func canonical(_ field: String) -> String {
        known.first { $0.caseInsensitiveCompare(field) == .orderedSame } ?? field
    }
}
