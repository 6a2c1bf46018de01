// The cloud-init user data of the lab VMs: creates the lab user; credentials come from a Secret disk.
import Yams

/// `#cloud-config` user data. It never holds a secret: the lab user's password and the agents'
/// credentials are files of a Secret that KubeVirt attaches as a disk (serial ``secretDiskSerial``);
/// the `runcmd` below copies them into the guest on first boot.
public struct CloudConfig: Sendable, Hashable, Codable {
    /// The disk serial of the credentials Secret (`/dev/disk/by-id/virtio-labcreds` in the guest).
    public static let secretDiskSerial = "labcreds"
    /// Where the agents find their credentials in the guest (`terminal-credential`, `desktop-password`).
    public static let credentialsDirectory = "/etc/labforge/credentials"

    /// `users:`.
    public var users: [User]
    /// Commands run once, late in the first boot.
    public var runcmd: [[String]]?

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
    /// - Parameters:
    ///   - labUser: The user to create.
    ///   - withCredentials: Whether a credentials Secret disk is attached.
    /// - Returns: The config.
    public static func lab(user labUser: String, withCredentials: Bool) -> CloudConfig {
        let user = User(name: labUser, gecos: "Lab user", shell: "/bin/bash", lock_passwd: true)
        guard withCredentials else { return CloudConfig(users: [user], runcmd: nil) }
        // Read the Secret's files from the attached disk; nothing secret ever appears in the manifests.
        let script = """
            set -eu
            disk=/dev/disk/by-id/virtio-\(secretDiskSerial)
            [ -e "$disk" ] || exit 0
            mnt=$(mktemp -d)
            mount -o ro "$disk" "$mnt"
            if [ -s "$mnt/password" ]; then printf '%s:%s\\n' \(labUser) "$(cat "$mnt/password")" | chpasswd; passwd -u \(labUser) >/dev/null; fi
            install -d -m 0750 -o root -g \(labUser) \(credentialsDirectory)
            for f in terminal-credential desktop-password; do
              if [ -f "$mnt/$f" ]; then install -m 0640 -o root -g \(labUser) "$mnt/$f" \(credentialsDirectory)/$f; fi
            done
            umount "$mnt"; rmdir "$mnt"
            """
        return CloudConfig(users: [user], runcmd: [["sh", "-c", script]])
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
