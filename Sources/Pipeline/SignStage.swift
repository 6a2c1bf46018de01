// The sign stage: the SBOM attached to the pushed image as an OCI referrer; with a key, a cosign signature and signed
// attestations of the SBOM and the build's SLSA provenance. The same for VM and pod images.
import Foundation
import OCI
import Registry
import Signing

/// Attaches the SBOM (`application/spdx+json`) as a referrer of the pushed manifest, then signs the manifest and
/// attests the SBOM and the provenance with the run's key. Skipped when nothing was pushed.
struct SignStage: Stage {
    static let kind = BuildStage.sign

    func key(for input: SignInput, in context: StageContext) throws -> String? {
        guard input.image.pushed != nil else { return nil }
        return [input.image.digest, input.sbom?.record.digest ?? "-", context.options.signingKey?.fingerprint ?? "unsigned"].joined(separator: " ")
    }

    func run(_ input: SignInput, key: String?, in context: StageContext) async throws -> StageResult<SignedImage> {
        guard input.image.pushed != nil, let push = context.options.push else {
            return .skipped(SignedImage(sbom: input.sbom?.record, signature: nil), "nothing pushed")
        }
        let repository = context.repository
        let name = try RepositoryName(repository)
        let digest = try Digest(parsing: input.image.digest)
        let credential = input.image.credential
        var sbom = input.sbom?.record
        var details: [String] = []
        if let record = sbom {
            let layout = try ImageLayout(path: input.image.layout)
            let (subject, _, _) = try layout.manifest(tag: nil)
            let content = try Data(contentsOf: URL(fileURLWithPath: record.path))
            let annotations = context.options.sourceDateEpoch.map { [AnnotationKey.created: ReproducibleTime.rfc3339($0)] }
            let started = Date()
            let attached = try await RegistryClient.withConnection(to: push.registry, credential: credential) { client in
                try await ReferrerPusher(client: client).attach(
                    content, fileName: "sbom.spdx.json", artifactType: "application/spdx+json", to: subject, in: name, annotations: annotations)
            }
            sbom?.referrer = "\(push.registry)/\(repository)@\(attached.manifest.digest)"
            sbom?.referrerSeconds = Date().timeIntervalSince(started)
            details.append("SBOM referrer \(attached.manifest.digest)" + (attached.fallbackTag.map { " (tag \($0))" } ?? ""))
        }
        var signature: BuildSummary.SignatureRecord?
        if let key = context.options.signingKey {
            let started = Date()
            let predicates = try Self.predicates(sbom: sbom, context)
            _ = try await RegistryClient.withConnection(to: push.registry, credential: credential) { client in
                _ = try await CosignSignature.sign(digest, in: name, client: client, key: key)
                return try await CosignAttestation.attach(predicates, to: digest, in: name, client: client, key: key)
            }
            signature = .init(
                reference: "\(push.registry)/\(repository):\(CosignSignature.tag(for: digest))", keyFingerprint: key.fingerprint,
                attestations: "\(push.registry)/\(repository):\(CosignAttestation.tag(for: digest))", predicateTypes: predicates.map(\.type),
                seconds: Date().timeIntervalSince(started))
            details.append("signed and attested (\(key.fingerprint.prefix(19))…)")
        }
        return .ran(SignedImage(sbom: sbom, signature: signature), details.isEmpty ? "no SBOM, no key" : details.joined(separator: "; "))
    }

    /// What a signed push attests: the SBOM (when read) and the SLSA provenance of this build.
    static func predicates(sbom: BuildSummary.SBOMRecord?, _ context: StageContext) throws -> [CosignAttestation.Predicate] {
        var predicates: [CosignAttestation.Predicate] = []
        if let sbom {
            predicates.append(.init(type: InTotoStatement.PredicateType.spdx, json: try Data(contentsOf: URL(fileURLWithPath: sbom.path))))
        }
        let recipe = context.recipe
        let provenance = SLSAProvenance(
            recipe: .init(name: recipe.name, version: recipe.version, fingerprint: try recipe.fingerprint), baseIdentity: context.fingerprint.baseIdentity,
            labforgeVersion: context.options.toolVersion, startedOn: context.started.formatted(.iso8601), finishedOn: Date().formatted(.iso8601),
            buildType: context.target == .container ? SLSAProvenance.podImageBuildType : SLSAProvenance.buildType)
        predicates.append(.init(type: InTotoStatement.PredicateType.slsaProvenanceV1, json: try provenance.encoded()))
        return predicates
    }
}
