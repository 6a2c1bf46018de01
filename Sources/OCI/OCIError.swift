// Errors about OCI documents, references and image layouts.
import Naming

/// A problem with an OCI document, reference or layout, naming the thing at fault.
public enum OCIError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Not `sha256:<64 hex>` (or sha512).
    case invalidDigest(String)
    /// A repository name outside the distribution spec's grammar.
    case invalidRepository(String, reason: String)
    /// A tag outside `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`.
    case invalidTag(String)
    /// A registry that is not `host[:port]`.
    case invalidRegistry(String, reason: String)
    /// A reference that is not `registry/repository[:tag][@digest]`.
    case invalidReference(String, reason: String)
    /// A JSON document that does not decode.
    case invalidDocument(source: String, reason: String)
    /// Not an OCI image layout (no `oci-layout` or `index.json`).
    case notALayout(path: String, reason: String)
    /// The layout has no manifest for the tag.
    case tagNotFound(layout: String, tag: String, available: [String])
    /// The layout has several manifests and none was chosen.
    case ambiguousLayout(layout: String, tags: [String])
    /// The layout's image is a multi-architecture image index where one image's manifest was expected.
    case imageIndex(layout: String, platforms: [String])
    /// Two layouts given for one image index hold an image for the same platform.
    case duplicatePlatform(platform: String, layouts: [String])
    /// An image index was asked for without any image.
    case noImages(output: String)
    /// A blob's file is not as long as its descriptor says.
    case blobSize(path: String, expected: Int64, actual: Int64)
    /// A blob is missing from the layout.
    case blobMissing(layout: String, digest: Digest)
    /// A blob's bytes do not hash to its digest.
    case blobCorrupt(path: String, expected: Digest, actual: Digest)

    public var description: String {
        switch self {
        case .invalidDigest(let value):
            return "invalid digest '\(MessageText.escaped(value))': expected sha256:<64 lower-case hex digits>"
        case .invalidRepository(let value, let reason):
            return "invalid repository name '\(MessageText.escaped(value))': \(reason) (lower-case letters, digits and . _ __ - separators, path components joined by /)"
        case .invalidTag(let value):
            return "invalid tag '\(MessageText.escaped(value))' (\(ImageVersion.problem(value) ?? "invalid")): \(ImageVersion.rule)"
        case .invalidRegistry(let value, let reason):
            return "invalid registry '\(MessageText.escaped(value))': \(reason); expected host[:port], e.g. quay.io or 127.0.0.1:5000"
        case .invalidReference(let value, let reason):
            return "invalid image reference '\(MessageText.escaped(value))': \(reason); expected registry/repository:tag, e.g. 127.0.0.1:5000/labs/debian:1.0"
        case .invalidDocument(let source, let reason):
            return "\(source): not a valid OCI document: \(reason)"
        case .notALayout(let path, let reason):
            return "\(path): not an OCI image layout (\(reason)); make one with `labforge package`"
        case .tagNotFound(let layout, let tag, let available):
            return "\(layout): no image tagged '\(tag)' (tags: \(available.isEmpty ? "none" : available.joined(separator: ", ")))"
        case .ambiguousLayout(let layout, let tags):
            return "\(layout): holds \(tags.count) images (\(tags.joined(separator: ", "))); name one with :TAG"
        case .imageIndex(let layout, let platforms):
            return "\(layout): holds a multi-architecture image index (\(platforms.isEmpty ? "no platform" : platforms.joined(separator: ", "))), "
                + "not one image; use a single-architecture layout, or read the platform's image from the index"
        case .duplicatePlatform(let platform, let layouts):
            return "\(layouts.joined(separator: " and ")): both hold an image for \(platform); give one layout per architecture"
        case .noImages(let output):
            return "\(output): no per-architecture layout given; an image index needs at least one image"
        case .blobSize(let path, let expected, let actual):
            return "\(path): \(actual) bytes, its descriptor says \(expected); the layout is damaged, package it again"
        case .blobMissing(let layout, let digest):
            return "\(layout): blob \(digest) is missing from blobs/\(digest.algorithm)/"
        case .blobCorrupt(let path, let expected, let actual):
            return "\(path): content hashes to \(actual), not \(expected); the layout is damaged, package it again"
        }
    }
}
