// What can stop `labforge build` for one image or for the whole run, each naming the image and stage at fault.

import Naming

/// A failure of the build pipeline; an image's failure never stops the other images.
public enum PipelineError: Error, CustomStringConvertible, Sendable {
    /// No recipe has this name.
    case unknownRecipe(name: String, known: [String])
    /// A stage of an image failed; `message` is the stage's own error.
    case stageFailed(image: String, stage: BuildStage, message: String)
    /// The output directory cannot be created or written.
    case outputUnusable(path: String, reason: String)
    /// The push destination is not `REGISTRY/PREFIX`.
    case invalidPushTarget(String, reason: String)
    /// Verification ran and at least one probe failed.
    case verificationFailed(image: String, failed: [String], log: String)
    /// The cache directory cannot be used.
    case cacheUnusable(path: String, reason: String)
    /// An image name or version that cannot be a directory under the output root.
    case unsafeOutputName(name: String, version: String)
    /// A step of a container build failed in the root tree (`step` as the build log names it).
    case containerStep(step: String, status: Int32, outputTail: String)
    /// An architecture's image of a multi-architecture recipe failed: no index is pushed under the version's tags.
    case indexIncomplete(recipe: String, architecture: String, reason: String)
    /// The lab user of a container image is missing or has a system uid.
    case containerUser(user: String, reason: String)
    /// A verification report (`verification.json`) that cannot be read or says nothing about firmware.
    case verificationReportUnreadable(path: String, reason: String)

    public var description: String {
        switch self {
        case .containerStep(let step, let status, let tail):
            return "container root tree: \(step) failed (mmdebstrap exited \(status)); last output:\n\(tail)"
        case .indexIncomplete(let recipe, let architecture, let reason):
            return "\(recipe): no multi-architecture index: its \(architecture) image failed (\(reason)); fix that image and build again (the other architectures' images are built)"
        case .containerUser(let user, let reason):
            return "container image user \(user): \(reason)"
        case .verificationReportUnreadable(let path, let reason):
            return "verification report \(path) cannot be used: \(reason); rerun `labforge verify --report FILE` or the build"
        case .unknownRecipe(let name, let known):
            return "no recipe named '\(name)'; known: \(known.joined(separator: ", ")) (see `labforge list`)"
        case .stageFailed(let image, let stage, let message):
            return "\(image): \(stage.rawValue) failed: \(message)"
        case .outputUnusable(let path, let reason):
            return "cannot write the build output \(path): \(reason); pass --output to a writable directory"
        case .invalidPushTarget(let value, let reason):
            return "--push \(value): \(reason); expected REGISTRY/PREFIX, e.g. ghcr.io/acme/labs or 127.0.0.1:5000/labs"
        case .verificationFailed(let image, let failed, let log):
            return "\(image): verification failed (\(failed.joined(separator: "; "))); the serial console is in \(log); rerun with --no-verify to publish anyway"
        case .cacheUnusable(let path, let reason):
            return "cache \(path) is unusable: \(reason); pass --cache-dir to a writable directory"
        case .unsafeOutputName(let name, let version):
            let reason = DNSLabel.problem(name).map { "name: \($0)" } ?? ImageVersion.problem(version).map { "version: \($0)" } ?? "invalid"
            return "image \(MessageText.quoted(name)) version \(MessageText.quoted(version)) cannot name an output directory (\(reason)); "
                + "a name is a DNS-1123 label and a version an image tag — fix the recipe"
        }
    }
}
