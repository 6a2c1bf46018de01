// Errors of the Kube module: bad names, missing image facts, bad options, failed writes.
import Naming

/// A problem making or writing Kubernetes manifests, naming what is at fault and what to do.
public enum KubeError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A Kubernetes object name that is not a DNS-1123 (or DNS-1035) label.
    case invalidName(kind: String, name: String, reason: String)
    /// An image version or tag that cannot be a tag, a directory name or a YAML scalar (`what` says which).
    case invalidVersion(what: String, value: String)
    /// The image has no digest, so nothing can be pinned.
    case missingDigest(reference: String)
    /// The disk's virtual size is unknown.
    case missingVirtualSize(source: String)
    /// An agent is declared twice or with a bad port or path.
    case invalidAgent(String)
    /// A setting is out of range.
    case invalidSetting(name: String, value: String, reason: String)
    /// Writing the manifests failed.
    case writeFailed(path: String, reason: String)
    /// Routes would be served without TLS or without authentication.
    case unprotectedRoutes(missing: [String])
    /// An agent that trusts a proxy's identity header (ttyd `--auth-header`) would be reachable through routes that do
    /// not set that header from a login and admit only the seat's identity.
    case proxyHeaderAgent(agent: String, header: String?, reason: String)
    /// The image claims no firmware, or verification booted it under none of those it claims (`claims` says which failed).
    case noBootableFirmware(image: String, claims: String)
    /// The image's firmware basis holds no firmware a VM of its architecture can start (`bootable`: those it can).
    case noFirmwareForArchitecture(image: String, architecture: String, claims: String, bootable: String)
    /// An identity (`--access-user`, a roster's identity column) that is not `user:`, `group:` or `serviceaccount:` something.
    case invalidIdentity(identity: String, reason: String)
    /// A seat's identity the route cannot admit alone (`origin` is where the seat was declared, e.g. `roster.txt:3`).
    case seatIdentity(seat: String, origin: String?, reason: String)

    public var description: String {
        switch self {
        case .invalidName(let kind, let name, let reason):
            return "\(kind) name '\(MessageText.escaped(name))' is not valid: \(reason); use at most 63 lower-case letters, digits and '-', "
                + "starting and ending with a letter or digit (shorten --name or --instance)"
        case .invalidVersion(let what, let value):
            return "\(what) \(MessageText.quoted(value)) cannot be an image tag or a directory name (\(ImageVersion.problem(value) ?? "invalid")): "
                + "\(ImageVersion.rule); pass --image-version, or fix the tag or the layout's org.opencontainers.image.version annotation"
        case .missingDigest(let reference):
            return "image reference '\(reference)' has no digest; pass registry/repository@sha256:… (the digest `labforge push` printed)"
        case .missingVirtualSize(let source):
            return "\(source): the disk's virtual size is unknown; pass --virtual-size BYTES or package the image with `labforge package`"
        case .invalidAgent(let reason):
            return "invalid agent: \(reason)"
        case .invalidSetting(let name, let value, let reason):
            return "invalid \(name) '\(value)': \(reason)"
        case .writeFailed(let path, let reason):
            return "\(path): cannot write manifests (\(reason)); check the directory and free space"
        case .unprotectedRoutes(let missing):
            return "the routes would be served \(missing.joined(separator: " and ")); pass what is missing, "
                + "leave out --host to write no routes, or pass --public-routes to accept it"
        case .proxyHeaderAgent(let agent, let header, let reason):
            let trusted = header.map { "header \($0)" } ?? "a proxy's identity header"
            return "the image's \(agent) agent trusts \(trusted) (ttyd --auth-header): whoever can send it gets a shell; \(reason). "
                + "Write it behind routes that enforce the identity: --routing httproute --gateway NAMESPACE/NAME --auth-header "
                + "\(header ?? "NAME") with a roster (class) or --access-user user:NAME (manifests), or leave out --host (no route; nothing may connect)"
        case .noBootableFirmware(let image, let claims):
            return "\(image) was verified under none of its firmwares (\(claims.isEmpty ? "none claimed" : claims)); "
                + "no VirtualMachine may boot it: fix the image, or claim the firmwares it boots under (recipe `firmware:`, `--firmware`)"
        case .noFirmwareForArchitecture(let image, let architecture, let claims, let bootable):
            return "\(image) counts on \(claims.isEmpty ? "no firmware" : claims), but a VirtualMachine running as \(architecture) boots only \(bootable); "
                + "no VirtualMachine may run it as \(architecture): build the \(architecture) image claiming \(bootable) (recipe `firmware:`, "
                + "`--firmware`), or pass the architecture it was built for (--arch)"
        case .invalidIdentity(let identity, let reason):
            return "identity '\(identity)': \(reason); write user:NAME, group:NAME or serviceaccount:NAMESPACE:NAME (a bare NAME is a user)"
        case .seatIdentity(let seat, let origin, let reason):
            return (origin.map { "\($0): " } ?? "") + "student '\(seat)': \(reason)"
        }
    }
}
