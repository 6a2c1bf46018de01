// Shows untrusted text inside an error message: quoted, with control characters spelled out.

/// How error messages show a name or version that may hold a newline or another control character.
public enum MessageText {
    /// `text` in double quotes, with `"`, `\`, newlines and other control characters escaped, so a value that
    /// tried to break a line or a terminal is shown as what it is.
    /// - Parameter text: Any text.
    /// - Returns: E.g. `"1.0\n"` for a version ending in a newline.
    public static func quoted(_ text: String) -> String {
        "\"" + escaped(text) + "\""
    }

    /// `text` with `"`, `\`, newlines and other control characters escaped, without surrounding quotes.
    /// - Parameter text: Any text.
    /// - Returns: E.g. `1.0\n` for a version ending in a newline.
    public static func escaped(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "\0": result += "\\0"
            default:
                if isControl(scalar) {
                    result += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result
    }

    /// Names one character for a message: `a newline (U+000A)`, `'/'`, `'é' (U+00E9, not ASCII)`.
    /// - Parameter scalar: The character.
    /// - Returns: Its description.
    public static func describe(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        let code = "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        switch scalar {
        case "\n": return "a newline (\(code))"
        case "\r": return "a carriage return (\(code))"
        case "\t": return "a tab (\(code))"
        case "\0": return "a NUL byte (\(code))"
        case " ": return "a space"
        default:
            if isControl(scalar) {
                return "a control character (\(code))"
            }
            if !scalar.isASCII { return "'\(scalar)' (\(code), not ASCII)" }
            return "'\(scalar)'"
        }
    }

    /// Whether a character is a control or invisible formatting character (newline, carriage return, NUL, ESC, …).
    /// - Parameter scalar: The character.
    /// - Returns: True for the C0/C1 controls, DEL and Unicode format characters.
    public static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.generalCategory == .control || scalar.properties.generalCategory == .format
    }
}
