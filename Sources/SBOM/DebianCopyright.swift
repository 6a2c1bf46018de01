// Licenses from a package's machine-readable copyright file (DEP-5), as an SPDX license expression.

/// Reads `/usr/share/doc/PKG/copyright` in the DEP-5 format.
public enum DebianCopyright {
    /// The SPDX expression for the licenses a DEP-5 copyright file names, or nil when it cannot say.
    ///
    /// Only machine-readable files count (a `Format:` line naming copyright-format); the licenses of the
    /// `Files:` paragraphs are joined with `AND`. When any name has no SPDX identifier (`public-domain`,
    /// `GPL-2+ with OpenSSL exception`, a custom name), the answer is nil: an SBOM says NOASSERTION rather than guess.
    /// - Parameter text: The copyright file.
    /// - Returns: E.g. `GPL-2.0-or-later AND MIT`, or nil.
    public static func licenseExpression(in text: String) -> String? {
        let stanzas = Deb822.stanzas(in: text)
        guard let header = stanzas.first, header["Format"]?.contains("copyright-format") == true else { return nil }
        var names = stanzas.filter { $0["Files"] != nil }.compactMap { $0["License"] }
        if names.isEmpty, let headerLicense = header["License"] { names = [headerLicense] }
        guard !names.isEmpty else { return nil }
        var terms: Set<String> = []
        for name in names {
            guard let term = expression(for: name) else { return nil }
            terms.insert(term)
        }
        let sorted = terms.sorted()
        if sorted.count == 1 { return sorted[0] }
        return sorted.map { $0.contains(" ") ? "(\($0))" : $0 }.joined(separator: " AND ")
    }

    /// One `License:` value (`GPL-2+ or Artistic`, `BSD-3-clause and MIT`) as SPDX, or nil.
    static func expression(for value: String) -> String? {
        let words = value.split(separator: " ").map(String.init)
        var parts: [String] = []
        var operators: [String] = []
        for (index, word) in words.enumerated() {
            if index % 2 == 1 {
                let op = word.lowercased()
                guard op == "or" || op == "and" else { return nil }
                operators.append(op.uppercased())
            } else {
                guard let id = identifier(for: word.trimmingCharacters(in: [","])) else { return nil }
                parts.append(id)
            }
        }
        guard !parts.isEmpty, parts.count == operators.count + 1 else { return nil }
        // Mixed AND/OR without parentheses is ambiguous in DEP-5: say nothing rather than guess.
        guard Set(operators).count <= 1 else { return nil }
        return zip(parts, operators + [""]).map { $1.isEmpty ? $0 : "\($0) \($1)" }.joined(separator: " ")
    }

    /// SPDX identifier for a DEP-5 short name.
    static func identifier(for name: String) -> String? {
        if let mapped = debianNames[name.lowercased()] { return mapped }
        return spdxIdentifiers.first { $0.caseInsensitiveCompare(name) == .orderedSame }
    }

    /// DEP-5's short names (copyright-format 1.0, "License short name") mapped to SPDX identifiers.
    private static let debianNames: [String: String] = [
        "gpl-1": "GPL-1.0-only", "gpl-1+": "GPL-1.0-or-later", "gpl-2": "GPL-2.0-only", "gpl-2+": "GPL-2.0-or-later",
        "gpl-3": "GPL-3.0-only", "gpl-3+": "GPL-3.0-or-later", "lgpl-2": "LGPL-2.0-only", "lgpl-2+": "LGPL-2.0-or-later",
        "lgpl-2.1": "LGPL-2.1-only", "lgpl-2.1+": "LGPL-2.1-or-later", "lgpl-3": "LGPL-3.0-only", "lgpl-3+": "LGPL-3.0-or-later",
        "agpl-3": "AGPL-3.0-only", "agpl-3+": "AGPL-3.0-or-later", "gfdl-1.2": "GFDL-1.2-only", "gfdl-1.2+": "GFDL-1.2-or-later",
        "gfdl-1.3": "GFDL-1.3-only", "gfdl-1.3+": "GFDL-1.3-or-later", "expat": "MIT", "bsd-2-clause": "BSD-2-Clause",
        "bsd-3-clause": "BSD-3-Clause", "bsd-4-clause": "BSD-4-Clause", "apache-2": "Apache-2.0", "apache-2.0": "Apache-2.0",
        "artistic": "Artistic-1.0", "artistic-1": "Artistic-1.0", "artistic-2": "Artistic-2.0", "artistic-2.0": "Artistic-2.0",
        "mpl-1.1": "MPL-1.1", "mpl-2": "MPL-2.0", "mpl-2.0": "MPL-2.0", "psf-2": "PSF-2.0", "python-2.0": "Python-2.0",
        "cc0": "CC0-1.0", "cc0-1.0": "CC0-1.0", "zlib": "Zlib", "isc": "ISC", "x11": "X11", "openssl": "OpenSSL",
        "ftl": "FTL", "curl": "curl", "unicode-dfs-2016": "Unicode-DFS-2016", "bsl-1.0": "BSL-1.0", "epl-1.0": "EPL-1.0",
        "epl-2.0": "EPL-2.0", "cc-by-4.0": "CC-BY-4.0", "cc-by-sa-4.0": "CC-BY-SA-4.0", "mit": "MIT", "0bsd": "0BSD",
    ]

    /// SPDX identifiers accepted as written (case-insensitively) when DEP-5 uses them directly.
    private static let spdxIdentifiers = [
        "MIT", "ISC", "Zlib", "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause", "GPL-2.0-only", "GPL-2.0-or-later",
        "GPL-3.0-only", "GPL-3.0-or-later", "LGPL-2.1-only", "LGPL-2.1-or-later", "LGPL-3.0-only", "LGPL-3.0-or-later",
        "MPL-2.0", "CC0-1.0", "Unlicense", "WTFPL", "BSL-1.0", "OpenSSL", "X11", "MIT-0", "Libpng", "IJG", "NTP",
    ]
}
