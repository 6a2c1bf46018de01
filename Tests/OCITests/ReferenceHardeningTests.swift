// References whose parts would reach URLs, paths or YAML with a newline, '../' or a fake host are refused;
// loopback is decided by parsing the address.
import OCI
import Testing

@Suite("reference hardening")
struct ReferenceHardeningTests {
    @Test("repository names: '../', a leading '/', newlines and control characters are refused")
    func repositories() {
        for bad in ["../etc", "labs/../x", "/labs/x", "labs//x", "labs/x\n", "labs/x\r", "labs/\u{0}x", "labs/x/", "Labs/x"] {
            #expect(throws: OCIError.self) { try RepositoryName(bad) }
        }
        #expect(throws: Never.self) { try RepositoryName("labs/debian-desktop") }
    }

    @Test("tags follow the image-version rule, and say why they are refused")
    func tags() throws {
        let error = try #require(throws: OCIError.self) { try Tag("1.0\nkind: Secret") }
        #expect(error.description.contains(#"'1.0\nkind: Secret'"#), "\(error)")
        #expect(error.description.contains("newline"))
        for bad in ["..", "../x", "/x", ".x", ""] { #expect(throws: OCIError.self) { try Tag(bad) } }
    }

    @Test("the registry part of a reference is host[:port]; anything else is refused")
    func registries() throws {
        #expect(try ImageReference(parsing: "127.0.0.1:5000/labs/debian:1.0").registry == "127.0.0.1:5000")
        #expect(try ImageReference(parsing: "[::1]:5000/labs/debian:1.0").registry == "[::1]:5000")
        #expect(try ImageReference(parsing: "quay.io/labs/debian@sha256:" + String(repeating: "a", count: 64)).registry == "quay.io")
        for bad in ["evil.com\n:5000/labs/x:1", "a..b.example/labs/x:1", "host.example:99999/labs/x:1", "host.example:/labs/x:1",
                    "-host.example/labs/x:1", "[::1/labs/x:1", "[nope]:5000/labs/x:1"] {
            #expect(throws: OCIError.self, "\(bad)") { try ImageReference(parsing: bad) }
        }
    }

    @Test("loopback: 127.0.0.0/8, ::1 and localhost exactly; 127.evil.example is a name like any other")
    func loopback() throws {
        for host in ["127.0.0.1:5000", "127.1.2.3", "localhost:5000", "LOCALHOST", "[::1]:5000", "[::ffff:127.0.0.1]:80"] {
            #expect(try RegistryHost(parsing: host).isLoopback, "\(host)")
        }
        for host in ["127.evil.example", "127.0.0.1.evil.example:5000", "localhost.evil.example", "128.0.0.1", "10.0.0.1:5000",
                     "[::2]:5000", "[::ffff:10.0.0.1]", "quay.io", "127.1", "0177.0.0.1"] {
            #expect(try !RegistryHost(parsing: host).isLoopback, "\(host)")
        }
        #expect(RegistryHost.isLoopback(host: "127.0.0.1"))
        #expect(RegistryHost.isLoopback(host: "[::1]"))
        #expect(!RegistryHost.isLoopback(host: "127.evil.example"))
    }
}
