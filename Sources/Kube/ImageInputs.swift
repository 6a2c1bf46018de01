// Turns what the user gave (a layout or a pinned reference, plus options) into an ImageDescription.
import Foundation
import OCI

/// Where the image facts come from: an OCI layout on disk, or a reference pinned by digest.
public enum ImageSource: Sendable, Hashable {
    /// An image layout directory and an optional tag in it.
    case layout(path: String, tag: String?)
    /// `registry/repository[:tag]@sha256:…`.
    case reference(ImageReference)

    /// Parses the CLI argument: an existing directory (optionally `DIR:TAG`) is a layout, anything else a reference.
    /// - Parameter argument: The argument.
    /// - Throws: ``OCIError`` when it is neither.
    public init(parsing argument: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory), isDirectory.boolValue {
            self = .layout(path: argument, tag: nil)
            return
        }
        if let colon = argument.lastIndex(of: ":") {
            let path = String(argument[..<colon])
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                self = .layout(path: path, tag: String(argument[argument.index(after: colon)...]))
                return
            }
        }
        self = .reference(try ImageReference(parsing: argument))
    }

    /// The layout path or the reference, for messages.
    public var displayText: String {
        switch self {
        case .layout(let path, let tag): return "layout " + path + (tag.map { ":\($0)" } ?? "")
        case .reference(let reference): return reference.description
        }
    }
}

/// Image facts given as options; each overrides what the source says.
public struct ImageInputs: Sendable, Hashable, Codable {
    /// Image name.
    public var name: String?
    /// Image version.
    public var version: String?
    /// Portal name.
    public var displayName: String?
    /// Portal description.
    public var summary: String?
    /// Guest OS, e.g. `debian-13`.
    public var operatingSystem: String?
    /// The architecture the VMs run as (and, for a multi-architecture layout, the platform whose image is read).
    public var architecture: String?
    /// The image index's architectures (default: a multi-architecture layout's index, else `[architecture]`: `--arch`
    /// overrides a single-architecture layout's config).
    public var architectures: [String]?
    /// `registry/repository[:tag]` the layout is (or will be) pushed to.
    public var reference: String?
    /// Virtual disk size in bytes.
    public var diskVirtualSize: Int64?
    /// Bytes in the registry.
    public var compressedSize: Int64?
    /// Default instancetype.
    public var instancetype: String?
    /// Default preference.
    public var preference: String?
    /// Claimed firmwares and their verification (default: the layout's `dev.labforge.firmware` label, not verified).
    public var firmware: FirmwareBasis?
    /// Agents; nil keeps the default (a terminal on 7681).
    public var agents: [ExposedAgent]?
    /// Lab user.
    public var labUser: String?
    /// Credentials Secret.
    public var credentialsSecret: String?
    /// Whether the image runs the QEMU guest agent (default: no).
    public var guestAgent: Bool?
    /// Whether the image powers itself off (a recipe's `LabLifetime`; default: the layout's
    /// `dev.labforge.lab.stops-itself` annotation, else no).
    public var stopsItself: Bool?
    /// Whether the image mounts a home disk (a recipe's `PersistentHome`; default: the layout's
    /// `dev.labforge.lab.home-disk` annotation, unknown for a pinned reference).
    public var mountsHomeDisk: Bool?

    /// Creates empty inputs.
    public init() {}
}

extension ImageDescription {
    /// Resolves an image from a source and options.
    /// - Parameters:
    ///   - source: A layout or a pinned reference.
    ///   - inputs: Options; they win over what the source says.
    /// - Returns: The description and, for layouts, the facts read (build time, annotations).
    /// - Throws: ``KubeError`` or ``OCIError`` naming what is missing.
    public static func resolve(_ source: ImageSource, inputs: ImageInputs) throws -> (ImageDescription, LayoutFacts?) {
        var facts: LayoutFacts?
        let optionReference = try inputs.reference.map { try ImageReference(parsing: $0) }
        let reference: ImageReference
        let digest: Digest
        switch source {
        case .layout(let path, let tag):
            let read = try LayoutFacts(layoutPath: path, tag: tag, architecture: inputs.architecture)
            facts = read
            guard let optionReference else {
                throw KubeError.invalidSetting(
                    name: "--reference", value: "(none)",
                    reason: "\(path) does not say where it is pushed; pass --reference registry/repository[:tag]")
            }
            if let pinned = optionReference.digest, pinned != read.digest {
                throw KubeError.invalidSetting(
                    name: "--reference", value: optionReference.description,
                    reason: "its digest differs from the layout's manifest \(read.digest); push this layout or drop the digest")
            }
            reference = optionReference
            digest = read.digest
        case .reference(let given):
            guard let pinned = given.digest else { throw KubeError.missingDigest(reference: given.description) }
            reference = given
            digest = pinned
        }
        let tag = reference.tag?.value ?? optionReference?.tag?.value ?? facts?.tag
        let repository = "\(reference.registry)/\(reference.repository)"
        let lastComponent = String(reference.repository.value.split(separator: "/").last ?? "")
        guard let name = inputs.name ?? KubernetesName.sanitized(lastComponent) else {
            throw KubeError.invalidName(kind: "image", name: lastComponent, reason: "no usable name; pass --name")
        }
        guard let version = inputs.version ?? facts?.version ?? tag else {
            throw KubeError.invalidSetting(name: "--image-version", value: "(none)", reason: "no version in the layout or the tag; pass --image-version")
        }
        guard let virtualSize = inputs.diskVirtualSize ?? facts?.diskVirtualSize else {
            throw KubeError.missingVirtualSize(source: source.displayText)
        }
        let description = ImageDescription(
            name: name, version: version, displayName: inputs.displayName ?? facts?.title, summary: inputs.summary ?? facts?.summary,
            operatingSystem: inputs.operatingSystem.map(OperatingSystemLabel.init(parsing:)),
            architecture: inputs.architecture ?? facts?.architecture ?? "amd64", architectures: inputs.architectures ?? facts.flatMap { $0.architectures.count > 1 ? $0.architectures : nil },
            repository: repository, tag: tag, digest: digest, platformDigest: facts?.platformDigest,
            diskVirtualSize: virtualSize, diskFormat: facts?.diskFormat, compressedSize: inputs.compressedSize ?? facts?.compressedSize,
            instancetype: inputs.instancetype ?? facts?.instancetype, preference: inputs.preference ?? facts?.preference,
            firmware: inputs.firmware ?? facts?.firmware.map { FirmwareBasis(claimed: $0) },
            agents: inputs.agents ?? [ExposedAgent(kind: .terminal)], labUser: inputs.labUser ?? "student",
            credentialsSecret: inputs.credentialsSecret
        )
        var checked = description
        checked.guestAgent = inputs.guestAgent ?? false
        checked.stopsItself = inputs.stopsItself ?? facts?.stopsItself ?? false
        checked.mountsHomeDisk = inputs.mountsHomeDisk ?? facts.map { $0.homeDiskSerial != nil }
        try checked.validate()
        return (checked, facts)
    }
}
