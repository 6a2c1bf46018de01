// What the customizer hands on: the customized overlay (before it is finalized), the finalized disk, and the
// software inventory it read in the same appliance session.
import SBOM

/// The customized guest as a qcow2 overlay in the caller's work directory, backed by the base or a step-cache
/// snapshot: ``Customizer/finalize(overlay:to:compressed:)`` makes the standalone disk of it.
public struct CustomizedOverlay: Sendable {
    /// The overlay file.
    public var overlay: String
    /// Timings and sizes (``CustomizationResult/output`` is the overlay; ``CustomizationResult/finalizeSeconds`` nil).
    public var result: CustomizationResult
    /// The inventory read before the appliance closed, when ``Customizer/inventory`` asked for it.
    public var inventory: InventoryRead?
}

/// A finalized, standalone qcow2.
public struct FinalizedDisk: Sendable, Equatable {
    /// The disk.
    public var path: String
    /// Its allocated bytes.
    public var bytes: Int64
    /// Seconds the conversion and check took.
    public var seconds: Double
}

/// What an SBOM needs to know besides the guest: asked of the customizer so the package database is read in the
/// appliance that is already open.
public struct InventoryRequest: Sendable {
    /// The image's name and version.
    public var subject: SoftwareInventory.Subject
    /// Guest files to hash.
    public var filePaths: [String]
    /// Downloads the recipe pinned.
    public var artifacts: [SoftwareInventory.Artifact]
    /// The base as the SBOM names it.
    public var base: SoftwareInventory.Base?

    /// Creates a request.
    /// - Parameters:
    ///   - subject: The image.
    ///   - filePaths: Guest files to hash.
    ///   - artifacts: Pinned downloads.
    ///   - base: The base.
    public init(subject: SoftwareInventory.Subject, filePaths: [String], artifacts: [SoftwareInventory.Artifact], base: SoftwareInventory.Base?) {
        self.subject = subject
        self.filePaths = filePaths
        self.artifacts = artifacts
        self.base = base
    }
}

/// The inventory read in the customize appliance, or why it could not be read.
public struct InventoryRead: Sendable {
    /// The inventory (nil: reading failed; ``note`` says why).
    public var inventory: SoftwareInventory?
    /// Seconds the read took.
    public var seconds: Double
    /// Each phase's seconds, or the error.
    public var note: String

    /// Creates a record.
    /// - Parameters:
    ///   - inventory: The inventory, or nil when reading failed.
    ///   - seconds: Seconds the read took.
    ///   - note: Each phase's seconds, or the error.
    public init(inventory: SoftwareInventory?, seconds: Double, note: String) {
        self.inventory = inventory
        self.seconds = seconds
        self.note = note
    }
}
