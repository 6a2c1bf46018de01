// What a lab VM's NetworkPolicy lets it reach: DNS always, the internet outside denied ranges unless switched off.

/// The egress half of every lab NetworkPolicy (per image, pod lab, class seat): ranges a VM may not reach, and
/// whether it may reach anything else. `labforge class` chooses it (`--deny-cidr`, `--no-internet`); the per-image
/// manifests use the defaults.
public struct NetworkIsolation: Sendable, Hashable {
    /// Ranges a VM may not reach (pod, service and node networks, metadata).
    public var deniedRanges: [IPv4Range]
    /// Whether VMs may reach the internet (outside ``deniedRanges``); DNS is allowed either way.
    public var allowInternet: Bool

    /// Creates isolation settings; the defaults deny ``IPv4Range/defaultDenied`` and allow the internet.
    /// - Parameters:
    ///   - deniedRanges: Ranges VMs may not reach.
    ///   - allowInternet: Allow egress beyond DNS.
    public init(deniedRanges: [IPv4Range] = IPv4Range.defaultDenied, allowInternet: Bool = true) {
        self.deniedRanges = deniedRanges
        self.allowInternet = allowInternet
    }
}
