// Object names at the 63-character limit and beyond, and the errors people see.
import Kube
import KubeTestSupport
import Testing

@Suite("Kubernetes names")
struct NameTests {
    @Test("a name whose longest derived object name is exactly 63 characters is accepted")
    func atTheLimit() throws {
        // The longest derived name is `<name>-persistent-root` (16 more characters).
        let name = String(repeating: "a", count: 47)
        let set = try ManifestSet(image: KubeFixtures.desktopImage(name: name))
        #expect(set.names.persistentDisk.count == 63)
        #expect(set.dataVolume.metadata.name?.count == 47)
    }

    @Test("one character more is refused, naming the object and the length")
    func beyondTheLimit() throws {
        let name = String(repeating: "a", count: 48)
        let error = try #require(throws: KubeError.self) { try ManifestSet(image: KubeFixtures.desktopImage(name: name)) }
        let message = "\(error)"
        #expect(message.contains("DataVolume name '\(name)-persistent-root'"), "\(message)")
        #expect(message.contains("64 characters, more than 63"))
    }

    @Test("an instance pushes derived names over the limit")
    func instanceTooLong() throws {
        let image = KubeFixtures.desktopImage(name: String(repeating: "b", count: 40))
        #expect(throws: KubeError.self) { try ManifestSet(image: image, settings: ManifestSettings(instance: "student-0001")) }
        #expect(throws: Never.self) { try ManifestSet(image: image, settings: ManifestSettings(instance: "s1")) }
    }

    @Test("bad characters, edges and Service names")
    func badNames() throws {
        for bad in ["Debian", "deb_ian", "-debian", "debian-", "", "debian.lab"] {
            #expect(!KubernetesName.isLabel(bad), "\(bad)")
            #expect(throws: KubeError.self) { try ManifestSet(image: KubeFixtures.desktopImage(name: bad)) }
        }
        // A valid DNS-1123 label that starts with a digit cannot name a Service (DNS-1035).
        let error = try #require(throws: KubeError.self) { try ManifestSet(image: KubeFixtures.desktopImage(name: "1lab")) }
        #expect("\(error)".contains("must start with a letter"))
        #expect(KubernetesName.sanitized("Debian 13 Desktop!") == "debian-13-desktop")
    }

    @Test("agents: duplicates, ports and paths are checked")
    func agents() throws {
        #expect(throws: KubeError.self) { try ExposedAgent(parsing: "shell") }
        #expect(throws: KubeError.self) { try ExposedAgent(parsing: "terminal:70000") }
        #expect(try ExposedAgent(parsing: "desktop:6081:/novnc").basePath == "/novnc/")
        var image = KubeFixtures.desktopImage()
        image.agents = [ExposedAgent(kind: .terminal), ExposedAgent(kind: .terminal, port: 7682)]
        #expect(throws: KubeError.self) { try ManifestSet(image: image) }
    }
}
