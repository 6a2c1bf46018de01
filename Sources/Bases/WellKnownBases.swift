// The built-in list of upstream cloud images, pinned to dated URLs and their published checksums.
import LabforgeRecipe

/// One well-known upstream image and where its publisher lists the checksum.
public struct WellKnownBase: Sendable, Hashable {
    /// The pinned image.
    public var image: UpstreamImage
    /// Human name, e.g. `Debian 13 (trixie) genericcloud`.
    public var title: String
    /// The publisher's checksum file for this build.
    public var checksumURL: String
    /// How that file is written.
    public var checksumFormat: ChecksumFileFormat

    /// Creates an entry.
    /// - Parameters:
    ///   - image: Pinned image.
    ///   - title: Human name.
    ///   - checksumURL: Publisher's checksum file.
    ///   - checksumFormat: Its format.
    public init(image: UpstreamImage, title: String, checksumURL: String, checksumFormat: ChecksumFileFormat) {
        self.image = image
        self.title = title
        self.checksumURL = checksumURL
        self.checksumFormat = checksumFormat
    }
}

/// Built-in upstream bases with where their publishers list the checksums; listed by `labforge bases`.
/// Recipes name the same images as `BaseImage.debian13GenericCloud` etc. (LabforgeRecipe).
///
/// The pins name dated builds (never `latest`), so a pin means the same bytes forever or fails
/// loudly once the publisher prunes the build. Upstream sites are not reachable from the machines
/// this was written on: the values come from the publishers' checksum files as quoted by public
/// projects, and `labforge bases check` compares them with the live checksum files.
public enum WellKnownBases {
    /// Debian 13 (trixie) genericcloud, amd64.
    public static let debian13 = WellKnownBase(
        image: .debian13GenericCloud,
        title: "Debian 13 (trixie) genericcloud amd64, build 20260712-2537",
        checksumURL: "https://cloud.debian.org/images/cloud/trixie/20260712-2537/SHA512SUMS",
        checksumFormat: .gnu
    )

    /// Debian 12 (bookworm) genericcloud, amd64.
    public static let debian12 = WellKnownBase(
        image: .debian12GenericCloud,
        title: "Debian 12 (bookworm) genericcloud amd64, build 20260712-2537",
        checksumURL: "https://cloud.debian.org/images/cloud/bookworm/20260712-2537/SHA512SUMS",
        checksumFormat: .gnu
    )

    /// Ubuntu 24.04 LTS (noble) server cloud image, amd64 (a qcow2 despite the `.img` name).
    public static let ubuntu2404 = WellKnownBase(
        image: .ubuntu2404,
        title: "Ubuntu 24.04 LTS (noble) server cloudimg amd64, release-20260705",
        checksumURL: "https://cloud-images.ubuntu.com/releases/noble/release-20260705/SHA256SUMS",
        checksumFormat: .gnu
    )

    /// Fedora 43 Cloud Base Generic, x86_64.
    public static let fedora43 = WellKnownBase(
        image: .fedora43,
        title: "Fedora 43 Cloud Base Generic x86_64, compose 1.6",
        checksumURL: "https://download.fedoraproject.org/pub/fedora/linux/releases/43/Cloud/x86_64/images/Fedora-Cloud-43-1.6-x86_64-CHECKSUM",
        checksumFormat: .bsd
    )

    /// AlmaLinux 9.6 GenericCloud, x86_64.
    public static let almalinux9 = WellKnownBase(
        image: .almalinux9,
        title: "AlmaLinux 9.6 GenericCloud x86_64, 20250522",
        checksumURL: "https://repo.almalinux.org/almalinux/9/cloud/x86_64/images/CHECKSUM",
        checksumFormat: .bsd
    )

    /// openSUSE Leap 15.6 Minimal VM (Cloud flavour), x86_64. openSUSE publishes this name without a
    /// build number, so `bases check` is the way to notice a rebuild.
    public static let opensuseLeap156 = WellKnownBase(
        image: .opensuseLeap156,
        title: "openSUSE Leap 15.6 Minimal VM Cloud x86_64",
        checksumURL: "https://download.opensuse.org/distribution/leap/15.6/appliances/openSUSE-Leap-15.6-Minimal-VM.x86_64-Cloud.qcow2.sha256",
        checksumFormat: .gnu
    )

    /// Every built-in base, in the order `labforge bases` lists them.
    public static let all: [WellKnownBase] = [debian13, debian12, ubuntu2404, fedora43, almalinux9, opensuseLeap156]

    /// Looks a base up by its short name.
    /// - Parameter name: E.g. `debian-13-genericcloud`.
    /// - Returns: The entry, or `nil`.
    public static func named(_ name: String) -> WellKnownBase? {
        all.first { $0.image.name == name }
    }
}
