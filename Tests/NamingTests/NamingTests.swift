// The one rule per name: versions that could leave a directory or break a YAML line are refused, with a reason.
import Naming
import Testing

@Suite("names and versions")
struct NamingTests {
    @Test("image versions: tag grammar; newline, control characters, '/', '..' and a leading '/' or '.' are refused")
    func versions() {
        for good in ["1.0.0", "1.0.0-202611251200", "v2_rc.1", "latest", "_x", String(repeating: "9", count: 128)] {
            #expect(ImageVersion.problem(good) == nil, "\(good)")
        }
        let refused: [(String, String)] = [
            ("", "it is empty"),
            ("1.0\n", "it contains a newline (U+000A)"),
            ("1.0\r", "it contains a carriage return (U+000D)"),
            ("1.0\u{0}", "it contains a NUL byte (U+0000)"),
            ("1.0\u{1B}[31m", "it contains a control character (U+001B)"),
            ("../../etc", "it contains '/'"),
            ("/abs", "it contains '/'"),
            ("..", "it starts with '.'"),
            (".hidden", "it starts with '.'"),
            ("-x", "it starts with '-'"),
            ("1.0 beta", "it contains a space"),
            ("1.0: {a: b}", "it contains ':'"),
            ("1.0#", "it contains '#'"),
            ("1.0é", "it contains 'é' (U+00E9, not ASCII)"),
            (String(repeating: "9", count: 129), "it has 129 characters, more than 128"),
        ]
        for (bad, reason) in refused {
            #expect(ImageVersion.problem(bad) == reason, "\(MessageText.quoted(bad))")
            #expect(!ImageVersion.isValid(bad))
        }
        // "\r\n" is one Swift Character: the check looks at scalars, so it cannot slip through.
        #expect(ImageVersion.problem("1.0\r\n") == "it contains a carriage return (U+000D)")
    }

    @Test("image names: DNS-1123 labels only")
    func names() {
        for good in ["debian-desktop", "a", "1lab", String(repeating: "a", count: 63)] {
            #expect(DNSLabel.isValid(good), "\(good)")
        }
        #expect(DNSLabel.problem("") == "it is empty")
        #expect(DNSLabel.problem("../x") == "it contains '.'")
        #expect(DNSLabel.problem("a/b") == "it contains '/'")
        #expect(DNSLabel.problem("lab\nname") == "it contains a newline (U+000A)")
        #expect(DNSLabel.problem("Debian") == "it contains 'D'")
        #expect(DNSLabel.problem("-lab") == "it starts or ends with '-'")
        #expect(DNSLabel.problem(String(repeating: "a", count: 64)) == "it has 64 characters, more than 63")
    }

    @Test("messages show control characters escaped, never raw")
    func quoting() {
        #expect(MessageText.quoted("1.0\n# injected: yes") == #""1.0\n# injected: yes""#)
        #expect(MessageText.quoted("a\"b\\c\u{7}") == #""a\"b\\c\u{7}""#)
        #expect(MessageText.escaped("x\r\0") == #"x\r\0"#)
    }
}
