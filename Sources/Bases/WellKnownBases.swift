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

/// Built-in upstream bases, usable in recipes as `.upstream(WellKnownBases.debian13.image)` and listed by
/// `labforge bases`.
///
/// The pins name dated builds (never `latest`), so a pin means the same bytes forever or fails
/// loudly once the publisher prunes the build. Upstream sites are not reachable from the machines
/// this was written on: the values come from the publishers' checksum files as quoted by public
/// projects, and `labforge bases check` compares them with the live checksum files.
public enum WellKnownBases {
    /// Debian 13 (trixie) genericcloud, amd64.
    public static let debian13 = WellKnownBase(
        image: UpstreamImage(
            name: "debian-13-genericcloud",
            url: "https://cloud.debian.org/images/cloud/trixie/20260712-2537/debian-13-genericcloud-amd64-20260712-2537.qcow2",
            checksum: .sha512("7ae53e9dbee282bfc16f289dec483dde3a8598769c38a267948310f7a2a52c662620198603bc52c142627efba379863d16079698a10b34102d55bcedd40e8d32")
        ),
        title: "Debian 13 (trixie) genericcloud amd64, build 20260712-2537",
        checksumURL: "https://cloud.debian.org/images/cloud/trixie/20260712-2537/SHA512SUMS",
        checksumFormat: .gnu
    )

    /// Debian 12 (bookworm) genericcloud, amd64.
    public static let debian12 = WellKnownBase(
        image: UpstreamImage(
            name: "debian-12-genericcloud",
            url: "https://cloud.debian.org/images/cloud/bookworm/20260712-2537/debian-12-genericcloud-amd64-20260712-2537.qcow2",
            checksum: .sha512("6c2607f1846ee86040830c87d0b723f0967da3e884ea4673d9db4aa8eee13a4b7c663524bfa42082c16fc6919f3aa1bf425c004d07ff06c53a319ad0c42647bb")
        ),
        title: "Debian 12 (bookworm) genericcloud amd64, build 20260712-2537",
        checksumURL: "https://cloud.debian.org/images/cloud/bookworm/20260712-2537/SHA512SUMS",
        checksumFormat: .gnu
    )

    /// Ubuntu 24.04 LTS (noble) server cloud image, amd64 (a qcow2 despite the `.img` name).
    public static let ubuntu2404 = WellKnownBase(
        image: UpstreamImage(
            name: "ubuntu-24.04",
            url: "https://cloud-images.ubuntu.com/releases/noble/release-20260705/ubuntu-24.04-server-cloudimg-amd64.img",
            checksum: .sha256("ffe6203da54deeb6db5d2a98a83f9ec8e55f149d3f7ba622e1abe5fa966ee3d6")
        ),
        title: "Ubuntu 24.04 LTS (noble) server cloudimg amd64, release-20260705",
        checksumURL: "https://cloud-images.ubuntu.com/releases/noble/release-20260705/SHA256SUMS",
        checksumFormat: .gnu
    )

    /// Fedora 43 Cloud Base Generic, x86_64.
    public static let fedora43 = WellKnownBase(
        image: UpstreamImage(
            name: "fedora-43",
            url: "https://download.fedoraproject.org/pub/fedora/linux/releases/43/Cloud/x86_64/images/Fedora-Cloud-Base-Generic-43-1.6.x86_64.qcow2",
            checksum: .sha256("846574c8a97cd2d8dc1f231062d73107cc85cbbbda56335e264a46e3a6c8ab2f")
        ),
        title: "Fedora 43 Cloud Base Generic x86_64, compose 1.6",
        checksumURL: "https://download.fedoraproject.org/pub/fedora/linux/releases/43/Cloud/x86_64/images/Fedora-Cloud-43-1.6-x86_64-CHECKSUM",
        checksumFormat: .bsd
    )

    /// AlmaLinux 9.6 GenericCloud, x86_64.
    public static let almalinux9 = WellKnownBase(
        image: UpstreamImage(
            name: "almalinux-9",
            url: "https://repo.almalinux.org/almalinux/9/cloud/x86_64/images/AlmaLinux-9-GenericCloud-9.6-20250522.x86_64.qcow2",
            checksum: .sha256("b08cd5db79bf32860412f5837e8c7b8df9447e032376e3c622840b31aaf26bc6")
        ),
        title: "AlmaLinux 9.6 GenericCloud x86_64, 20250522",
        checksumURL: "https://repo.almalinux.org/almalinux/9/cloud/x86_64/images/CHECKSUM",
        checksumFormat: .bsd
    )

    /// openSUSE Leap 15.6 Minimal VM (Cloud flavour), x86_64. openSUSE publishes this name without a
    /// build number, so `bases check` is the way to notice a rebuild.
    public static let opensuseLeap156 = WellKnownBase(
        image: UpstreamImage(
            name: "opensuse-leap-15.6",
            url: "https://download.opensuse.org/distribution/leap/15.6/appliances/openSUSE-Leap-15.6-Minimal-VM.x86_64-Cloud.qcow2",
            checksum: .sha256("00cbb55fe0328c0a1c5a61f1a1419b5052b25325d32f1c368767f0dee04c2a57")
        ),
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
