// Pinned upstream cloud images recipes can name as their base: dated builds with their published checksums.
//
// Upstream sites are not reachable from the machines this was written on: the values are the
// publishers' checksums as quoted by public projects; `labforge bases check` compares them with the
// live checksum files.

extension UpstreamImage {
    /// Debian 13 (trixie) genericcloud, amd64.
    public static let debian13GenericCloud = UpstreamImage(
        name: "debian-13-genericcloud",
        url: "https://cloud.debian.org/images/cloud/trixie/20260712-2537/debian-13-genericcloud-amd64-20260712-2537.qcow2",
        checksum: .sha512("7ae53e9dbee282bfc16f289dec483dde3a8598769c38a267948310f7a2a52c662620198603bc52c142627efba379863d16079698a10b34102d55bcedd40e8d32")
    )

    /// Debian 12 (bookworm) genericcloud, amd64.
    public static let debian12GenericCloud = UpstreamImage(
        name: "debian-12-genericcloud",
        url: "https://cloud.debian.org/images/cloud/bookworm/20260712-2537/debian-12-genericcloud-amd64-20260712-2537.qcow2",
        checksum: .sha512("6c2607f1846ee86040830c87d0b723f0967da3e884ea4673d9db4aa8eee13a4b7c663524bfa42082c16fc6919f3aa1bf425c004d07ff06c53a319ad0c42647bb")
    )

    /// Ubuntu 24.04 LTS (noble) server cloud image, amd64 (a qcow2 despite the `.img` name).
    public static let ubuntu2404 = UpstreamImage(
        name: "ubuntu-24.04",
        url: "https://cloud-images.ubuntu.com/releases/noble/release-20260705/ubuntu-24.04-server-cloudimg-amd64.img",
        checksum: .sha256("ffe6203da54deeb6db5d2a98a83f9ec8e55f149d3f7ba622e1abe5fa966ee3d6")
    )

    /// Fedora 43 Cloud Base Generic, x86_64.
    public static let fedora43 = UpstreamImage(
        name: "fedora-43",
        url: "https://download.fedoraproject.org/pub/fedora/linux/releases/43/Cloud/x86_64/images/Fedora-Cloud-Base-Generic-43-1.6.x86_64.qcow2",
        checksum: .sha256("846574c8a97cd2d8dc1f231062d73107cc85cbbbda56335e264a46e3a6c8ab2f")
    )

    /// AlmaLinux 9.6 GenericCloud, x86_64.
    public static let almalinux9 = UpstreamImage(
        name: "almalinux-9",
        url: "https://repo.almalinux.org/almalinux/9/cloud/x86_64/images/AlmaLinux-9-GenericCloud-9.6-20250522.x86_64.qcow2",
        checksum: .sha256("b08cd5db79bf32860412f5837e8c7b8df9447e032376e3c622840b31aaf26bc6")
    )

    /// build number, so `bases check` is the way to notice a rebuild.
    public static let opensuseLeap156 = UpstreamImage(
        name: "opensuse-leap-15.6",
        url: "https://download.opensuse.org/distribution/leap/15.6/appliances/openSUSE-Leap-15.6-Minimal-VM.x86_64-Cloud.qcow2",
        checksum: .sha256("00cbb55fe0328c0a1c5a61f1a1419b5052b25325d32f1c368767f0dee04c2a57")
    )

    /// Every built-in upstream image, in the order `labforge bases` lists them.
    public static let wellKnown: [UpstreamImage] = [debian13GenericCloud, debian12GenericCloud, ubuntu2404, fedora43, almalinux9, opensuseLeap156]
}

extension BaseImage {
    /// Debian 13 (trixie) genericcloud, amd64.
    public static let debian13GenericCloud = BaseImage.upstream(.debian13GenericCloud)

    /// Debian 12 (bookworm) genericcloud, amd64.
    public static let debian12GenericCloud = BaseImage.upstream(.debian12GenericCloud)

    /// Ubuntu 24.04 LTS (noble) server cloud image, amd64 (a qcow2 despite the `.img` name).
    public static let ubuntu2404 = BaseImage.upstream(.ubuntu2404)

    /// Fedora 43 Cloud Base Generic, x86_64.
    public static let fedora43 = BaseImage.upstream(.fedora43)

    /// AlmaLinux 9.6 GenericCloud, x86_64.
    public static let almalinux9 = BaseImage.upstream(.almalinux9)

    /// build number, so `bases check` is the way to notice a rebuild.
    public static let opensuseLeap156 = BaseImage.upstream(.opensuseLeap156)
}
