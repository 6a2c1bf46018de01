// What the stages hand each other: one type per hand-off, from the customized disk or root tree to the written manifests.
import Customize
import DiskImage
import Foundation
import Kube
import LabforgeRecipe
import Registry
import Verify

/// The customized guest before it is finalized: an overlay this build just made, or the finished disk a build of
/// the same fingerprint left in the cache.
struct CustomizedDisk: Sendable {
    /// Where the guest is.
    enum Form: Sendable {
        /// A qcow2 overlay in a private work directory; the fingerprint's cache entry is held exclusive until the
        /// finalized disk is in place.
        case overlay(path: String, workDirectory: String, entry: FileLock)
        /// The finished disk of this fingerprint, leased shared.
        case finished(String)
        /// A foreign architecture's customized root tree in a private work directory (its disk is written by the
        /// finalize stage, `sizeGiB` large, with the bootstrap's layout); the entry held exclusive as for an overlay.
        case tree(root: String, workDirectory: String, entry: FileLock, bootstrap: DebianBootstrap, sizeGiB: Int)
    }

    /// Where the guest is.
    var form: Form
    /// The software inventory read in the customize appliance before it closed (nil: not read this run).
    var inventory: InventoryRead?
}

/// The standalone, zstd-compressed, checked qcow2 in the image cache.
struct FinalDisk: Sendable, Equatable {
    /// The disk (in the image cache, leased for the build).
    var path: String
}

/// A pod image's root tree on the host, with the lab user read from it.
struct RootTree: Sendable {
    /// The tree.
    var path: String
    /// The lab user's uid, gid and home.
    var uid: Int, gid: Int, home: String
    /// The plan the tree was made from.
    var plan: ContainerPlan
}

/// What an SBOM is read from.
enum SBOMSource: Sendable {
    /// A finished disk, with the inventory read in the customize appliance when it was.
    case disk(FinalDisk, readInAppliance: InventoryRead?)
    /// A pod image's root tree before it is packed.
    case tree(RootTree)
}

/// The SBOM written beside the image.
struct SBOMDocument: Sendable, Equatable {
    /// Where, its digest, its package count.
    var record: BuildSummary.SBOMRecord
}

/// What is verified.
enum VerificationSubject: Sendable, Equatable {
    /// A VM disk: booted under every firmware the recipe claims, its agents probed.
    case disk(FinalDisk)
    /// A pod image's layout: run in namespaces, its agents probed.
    case image(PackagedImage)
}

/// The verification's outcome and, for a VM, what it made of each claimed firmware.
struct VerificationOutcome: Sendable, Equatable {
    /// Status, one line, the report's path, pictures.
    var summary: BuildSummary.Verification
    /// The claimed firmwares with this verification's boot of each (nil for a pod image).
    var firmware: FirmwareBasis?
}

/// What the package stage needs of a VM image: its disk and what the verification made of its firmware.
struct ContainerDiskInput: Sendable, Equatable {
    /// The final disk.
    var disk: FinalDisk
    /// The claimed firmwares and their verification.
    var firmware: FirmwareBasis
}

/// An OCI layout of the image, ready to push.
struct PackagedImage: Sendable, Equatable {
    /// The layout directory.
    var layout: String
    /// The manifest's digest (`sha256:…`).
    var digest: String
    /// The layer's compressed bytes.
    var layerBytes: Int64?
    /// The layer's uncompressed bytes (a pod image's tree).
    var uncompressedBytes: Int64?
    /// The disk in the output directory (a VM image).
    var disk: String?
}

/// The image in the registry, or the reference its manifests name when it was not pushed.
struct PushedImage: Sendable, Equatable {
    /// `registry/repository:version@sha256:…`, what manifests and the catalog pin.
    var reference: String
    /// What was pushed (nil: no `--push`).
    var pushed: BuildSummary.Pushed?
    /// The manifest digest.
    var digest: String
    /// The layout it came from.
    var layout: String
    /// The registry credential the push used (nil: anonymous, or not pushed): the sign stage uses it too, so a
    /// credential helper runs once per image.
    var credential: ResolvedCredential? = nil
}

/// What the sign stage attaches to a pushed image.
struct SignInput: Sendable, Equatable {
    /// The pushed image.
    var image: PushedImage
    /// Its SBOM (attached as a referrer; attested when signing).
    var sbom: SBOMDocument?
}

/// The SBOM referrer and the signature attached to the pushed image.
struct SignedImage: Sendable, Equatable {
    /// The SBOM with its referrer.
    var sbom: BuildSummary.SBOMRecord?
    /// The signature and attestations (nil: no key).
    var signature: BuildSummary.SignatureRecord?
}

/// What the manifests are written for.
enum ManifestsInput: Sendable {
    /// A VM image: its containerDisk layout and firmware basis.
    case vm(layout: String, firmware: FirmwareBasis)
    /// A pod image: its plan, the lab user's uid, and the pinned reference.
    case pod(plan: ContainerPlan, uid: Int, reference: String)
}
