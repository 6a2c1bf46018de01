// Keeps password hashes and password-setting lines out of build logs, step titles and errors.

/// What a build log shows of a guest script: the script as written, except crypt(3) hashes and the lines that set a
/// password (`chpasswd` and its here-document, `usermod`/`useradd --password`), which become `<redacted>`.
///
/// Files a recipe writes are never logged with their contents (a step title names the path, mode and owner), so
/// credentials under `/etc/labforge/credentials/` stay out of the log; a `Run` script is logged as written apart from
/// what this recognises, so recipes should set passwords with `CreateUser(passwordHash:)`.
public enum SecretRedaction {
    /// The placeholder that replaces a secret.
    public static let placeholder = "<redacted>"

    /// A script as it may be logged.
    /// - Parameter script: A `/bin/sh` script or command line.
    /// - Returns: The same lines, with hashes and password-setting lines redacted.
    public static func script(_ script: String) -> String {
        var lines: [String] = []
        var hereDocumentEnd: String?
        for line in script.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if let end = hereDocumentEnd {
                // The body of a here-document fed to chpasswd is `user:password` lines.
                if line.trimmingLeadingTabs() == end {
                    hereDocumentEnd = nil
                    lines.append(line)
                } else {
                    lines.append(placeholder)
                }
                continue
            }
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "|" || $0 == ";" || $0 == "&" })
            if words.contains(where: { $0 == "chpasswd" || $0.hasSuffix("/chpasswd") }) {
                hereDocumentEnd = Self.hereDocumentDelimiter(in: line)
                lines.append("\(placeholder) (sets a password with chpasswd)" + (hereDocumentEnd.map { " <<\($0)" } ?? ""))
                continue
            }
            var redacted = redactingHashes(in: line)
            if words.contains(where: { ["usermod", "useradd"].contains($0.split(separator: "/").last.map(String.init) ?? "") }) {
                redacted = redactingPasswordOption(in: redacted)
            }
            lines.append(redacted)
        }
        return lines.joined(separator: "\n")
    }

    /// Whether `text` holds a crypt(3) hash (`$6$salt$hash`, `$y$j9T$salt$hash`, `$2b$12$…`).
    /// - Parameter text: Any text.
    /// - Returns: True when ``script(_:)`` would redact a hash in it.
    public static func containsHash(_ text: String) -> Bool { redactingHashes(in: text) != text }

    /// Replaces every crypt(3)-shaped token: `$id$` followed by at least one more `$`-separated field of the
    /// crypt alphabet, 20 characters or more (short enough shell parameters like `$1$2` stay).
    static func redactingHashes(in line: String) -> String {
        let characters = Array(line)
        var result = ""
        var index = 0
        let punctuation: Set<Character> = [".", "/", "$", "="]
        func isCrypt(_ character: Character) -> Bool {
            character.isASCII && (character.isLetter || character.isNumber || punctuation.contains(character))
        }
        while index < characters.count {
            if characters[index] == "$", index + 1 < characters.count, characters[index + 1].isASCII, characters[index + 1].isLetter || characters[index + 1].isNumber {
                var end = index
                while end < characters.count, isCrypt(characters[end]) { end += 1 }
                let token = String(characters[index..<end])
                let fields = token.split(separator: "$", omittingEmptySubsequences: false)
                // "", id, …, hash: at least three `$`.
                if fields.count >= 4, fields[1].count <= 3, token.count >= 20 {
                    result += placeholder
                    index = end
                    continue
                }
            }
            result.append(characters[index])
            index += 1
        }
        return result
    }

    /// Replaces the value of `-p` / `--password` (`usermod -p HASH`, `useradd --password=HASH`).
    static func redactingPasswordOption(in line: String) -> String {
        var words = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        var index = 0
        while index < words.count {
            let word = words[index]
            if word == "-p" || word == "--password", index + 1 < words.count {
                words[index + 1] = placeholder
                index += 2
                continue
            }
            if word.hasPrefix("--password=") { words[index] = "--password=" + placeholder }
            index += 1
        }
        return words.joined(separator: " ")
    }

    /// The delimiter of a here-document opened on `line` (`<<EOF`, `<<-'EOF'`, `<< "END"`), if any.
    static func hereDocumentDelimiter(in line: String) -> String? {
        guard let range = line.firstRange(of: "<<") else { return nil }
        var rest = line[range.upperBound...]
        if rest.hasPrefix("<") { return nil }  // `<<<` is a here-string: nothing on later lines.
        if rest.hasPrefix("-") { rest = rest.dropFirst() }
        rest = rest.drop(while: { $0 == " " })
        let ends: Set<Character> = [" ", ";", "|", "&", ")"]
        let quotes: Set<Character> = ["'", "\"", "\\"]
        let word = rest.prefix(while: { !ends.contains($0) })
        let delimiter = word.filter { !quotes.contains($0) }
        return delimiter.isEmpty ? nil : String(delimiter)
    }
}

extension String {
    fileprivate func trimmingLeadingTabs() -> String { String(drop(while: { $0 == "\t" })) }
}
