// The cloud-init agent: KubeVirt hands users, keys and hostnames to the VM through NoCloud or ConfigDrive.

/// Installs cloud-init (and the QEMU guest agent) and limits it to the datasources KubeVirt provides.
public struct CloudInit: RecipeComponent, Hashable, Codable {
    /// Datasources cloud-init looks at, in order.
    public var datasources: [String]
    /// Whether cloud-init writes the network configuration (off: the base's own DHCP config stays in charge).
    public var manageNetwork: Bool
    /// Install `qemu-guest-agent` too (KubeVirt reads IPs and users through it).
    public var guestAgent: Bool

    /// Creates the agent.
    /// - Parameters:
    ///   - datasources: Datasources, `NoCloud` and `ConfigDrive` by default.
    ///   - manageNetwork: Let cloud-init configure the network.
    ///   - guestAgent: Install the QEMU guest agent.
    public init(datasources: [String] = ["NoCloud", "ConfigDrive"], manageNetwork: Bool = false, guestAgent: Bool = true) {
        self.datasources = datasources
        self.manageNetwork = manageNetwork
        self.guestAgent = guestAgent
    }

    /// Where the datasource configuration goes.
    public static let configPath = "/etc/cloud/cloud.cfg.d/90-labforge.cfg"

    /// The configuration file's text.
    public var configuration: String {
        var lines = ["# Written by labforge: the datasources KubeVirt provides, nothing else probed."]
        lines.append("datasource_list: [ \((datasources + ["None"]).joined(separator: ", ")) ]")
        if !manageNetwork { lines.append("network: {config: disabled}") }
        // cc_locale fails without the `locales` package and marks cloud-config.service failed; the
        // SystemLocale step sets the locale at build time instead.
        lines.append("locale: false")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Installation and configuration steps.
    public var steps: [Step] {
        var packages = [PackageRequest("cloud-init")]
        if guestAgent { packages.append(PackageRequest("qemu-guest-agent")) }
        return [
            .install(packages),
            .writeFile(path: Self.configPath, contents: configuration, mode: 0o644, owner: .root),
        ]
    }

    public var items: [RecipeItem] { [.agent(.cloudInit(self))] }
}
