// IPv4 ranges of the NetworkPolicies' ipBlocks: canonical only, containment, the defaults, no IPv6.
import Kube
import Testing

@Suite("IPv4 ranges")
struct IPv4RangeTests {
    @Test("IPv4 ranges: canonical only, containment, no IPv6")
    func ranges() throws {
        let link = try IPv4Range(parsing: "169.254.0.0/16")
        #expect(link.contains(IPv4Range.metadataService))
        #expect(!(try IPv4Range(parsing: "10.0.0.0/8")).contains(IPv4Range.metadataService))
        #expect(IPv4Range.everything.contains(link))
        #expect(IPv4Range.defaultDenied.map(\.description) == ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10"])
        for bad in ["10.0.0.1/8", "fd00::/8", "10.0.0/8", "300.0.0.0/8", "10.0.0.0/33", "10.0.0.0"] {
            #expect(throws: KubeError.self, "\(bad)") { try IPv4Range(parsing: bad) }
        }
    }
}
