// What "generalize the image" removes at the end of a build, so every VM booted from it is new.

/// The sysprep operations; all on by default.
public struct Sysprep: Sendable, Hashable, Codable {
    /// Empty `/etc/machine-id` (kept as an empty file, so systemd makes a new id at boot).
    public var machineID = true
    /// Remove SSH host keys (regenerated at boot by the sshd drop-in and by cloud-init).
    public var sshHostKeys = true
    /// `cloud-init clean --logs --seed` (when cloud-init is installed).
    public var cloudInitState = true
    /// Truncate every file under `/var/log`.
    public var logs = true
    /// Remove package caches and package lists.
    public var packageCaches = true
    /// Remove shell histories and the contents of `/tmp` and `/var/tmp`.
    public var historiesAndTemporaryFiles = true
    /// Remove the systemd random seed.
    public var randomSeed = true

    /// Every operation on.
    public init() {}

    /// The default: everything.
    public static let standard = Sysprep()
}
