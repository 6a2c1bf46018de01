// The push stage: the layout to the registry under the version, a dated tag and `latest` for recipes marked so.
import Foundation
import OCI
import Registry
import Reporting

/// Pushes the layout (blobs the registry has are not sent again). Without `--push` it is skipped and the reference the
/// manifests name is the reference prefix's.
struct PushStage: Stage {
    static let kind = BuildStage.push

    /// The tags an image is pushed under: `<version>`, `<version>-<YYYYMMDDhhmm>`, and `latest` when the recipe says so.
    static func tags(_ context: StageContext) -> [String] {
        var tags = [context.recipe.version, context.options.datedTag(version: context.recipe.version)]
        if context.recipe.latest { tags.append("latest") }
        return tags
    }

    func key(for image: PackagedImage, in context: StageContext) throws -> String? {
        guard let push = context.options.push else { return nil }
        return "\(image.digest) \(push.registry)/\(context.repository)"
    }

    func run(_ image: PackagedImage, key: String?, in context: StageContext) async throws -> StageResult<PushedImage> {
        let repository = context.repository
        let version = context.recipe.version
        guard let push = context.options.push else {
            let target = context.pushTarget
            return .skipped(
                PushedImage(reference: Self.reference(registry: target.registry, repository: repository, version: version, digest: image.digest, in: context),
                            pushed: nil, digest: image.digest, layout: image.layout),
                "no --push; manifests name \(target.registry)/\(repository)")
        }
        let credential = try await RegistryCredential.lookup(registry: push.registry, repository: repository, authFile: context.options.authFile)
        let layout = try ImageLayout(path: image.layout)
        let name = try RepositoryName(repository)
        // One architecture of several: by digest alone; the index gets the tags.
        let tags = context.partOfIndex ? [] : try Self.tags(context).map { try Tag($0) }
        let reporter = context.reporter
        let result = try await RegistryClient.withConnection(to: push.registry, credential: credential) { client in
            try await LayoutPusher(destination: client, progress: reporter).push(layout: layout, sourceTag: nil, to: name, tags: tags)
        }
        let pushed = PushedImage(
            reference: Self.reference(registry: push.registry, repository: repository, version: version, digest: result.digest.description, in: context),
            pushed: .init(reference: result.reference, repository: "\(push.registry)/\(repository)", tags: result.tags),
            digest: result.digest.description, layout: image.layout, credential: credential)
        let tagged = result.tags.isEmpty ? "by digest (the index takes the tags)" : "tags \(result.tags.joined(separator: ","))"
        return .ran(pushed, "\(result.reference) \(tagged), \(ByteCount.format(result.bytesSent)) sent")
    }

    /// What manifests and the catalog pin: `registry/repository:version@digest`, or `registry/repository@digest` for one
    /// architecture of several (the version's tag names the index, not this manifest).
    static func reference(registry: String, repository: String, version: String, digest: String, in context: StageContext) -> String {
        context.partOfIndex ? "\(registry)/\(repository)@\(digest)" : "\(registry)/\(repository):\(version)@\(digest)"
    }
}

/// The registry credential of a repository, looked up off the cooperative pool (a credential helper is a child
/// process waited for synchronously).
enum RegistryCredential {
    /// The credential for `repository` on `registry`.
    /// - Throws: The credential store's errors (an unreadable auth file, a failing helper).
    static func lookup(registry: String, repository: String, authFile: String?) async throws -> ResolvedCredential? {
        try await DedicatedThread.run(name: "labforge.credentials") {
            try CredentialStore(authFile: authFile).credential(registry: registry, repository: repository)
        }
    }
}
