// The cloud-init user data of the lab VMs: creates the lab user; credentials come from a Secret disk the image reads.
import LabforgeRecipe
import Yams

/// `#cloud-config` user data. It never holds a secret: the lab user's password and the agents' credentials are
/// files of a Secret that KubeVirt attaches as a disk (serial ``secretDiskSerial``). The image's own
/// `lab-credentials.service` copies them to a tmpfs at every boot (``BootCredentials``), so cloud-init has
/// nothing to do with them.
public struct CloudConfig: Sendable, Hashable, Codable {
    /// The disk serial of the credentials Secret (`/dev/disk/by-id/virtio-labcreds` in the guest).
    public static let secretDiskSerial = BootCredentials.diskSerial

    /// `users:`.
    public var users: [User]

    /// One user.
    public struct User: Sendable, Hashable, Codable {
        /// Login name.
        public var name: String
        /// Full name.
        public var gecos: String
        /// Login shell.
        public var shell: String
        /// Locked until the Secret sets a password.
        public var lock_passwd: Bool
    }

    /// The user data for a lab image.
    /// - Parameter labUser: The user to create (or keep, when the image has it).
    /// - Returns: The config.
    public static func lab(user labUser: String) -> CloudConfig {
        CloudConfig(users: [User(name: labUser, gecos: "Lab user", shell: "/bin/bash", lock_passwd: true)])
    }

    /// The user data text: `#cloud-config` and the YAML body.
    /// - Returns: The text.
    /// - Throws: A Yams encoding error.
    public func userData() throws -> String {
        let encoder = YAMLEncoder()
        encoder.options.width = -1
        encoder.options.newLineScalarStyle = .literal
        return "#cloud-config\n" + (try encoder.encode(self))
    }
}
