// The SLSA provenance v1 predicate labforge attaches: who built the image, from which recipe, base and source revision.
import Foundation
import OCI

/// A SLSA v1 provenance predicate (https://slsa.dev/spec/v1.0/provenance) for one labforge image build.
public struct SLSAProvenance: Sendable, Equatable, Encodable {
    /// labforge's build type of a VM image (a containerDisk): the recipe's name, version and fingerprint are the
    /// external parameters.
    public static let buildType = "https://labforge.dev/containerdisk/v1"
    /// The build type of a pod image (the recipe's root tree as an OCI image); the same external parameters.
    public static let podImageBuildType = "https://labforge.dev/pod-image/v1"
    /// The builder id when neither the environment nor the caller names one.
    public static let localBuilderID = "https://labforge.dev/builders/local"

    /// `buildDefinition`.
    public var buildDefinition: BuildDefinition
    /// `runDetails`.
    public var runDetails: RunDetails

    /// What was built from what.
    public struct BuildDefinition: Sendable, Equatable, Encodable {
        /// ``SLSAProvenance/buildType``.
        public var buildType: String
        /// The recipe (what a user chose).
        public var externalParameters: ExternalParameters
        /// The base image and the source revision.
        public var resolvedDependencies: [ResourceDescriptor]
    }

    /// The recipe as the build took it.
    public struct ExternalParameters: Sendable, Equatable, Encodable {
        /// Recipe identity.
        public var recipe: Recipe
        /// The recipe's name, version and fingerprint (the cache key's recipe part).
        public struct Recipe: Sendable, Equatable, Encodable {
            /// Name.
            public var name: String
            /// Version.
            public var version: String
            /// Fingerprint.
            public var fingerprint: String

            /// Creates a recipe record.
            public init(name: String, version: String, fingerprint: String) {
                self.name = name
                self.version = version
                self.fingerprint = fingerprint
            }
        }
    }

    /// An in-toto ResourceDescriptor: at least one of `uri` and `digest`.
    public struct ResourceDescriptor: Sendable, Equatable, Encodable {
        /// What it is (`base-image`, `source`).
        public var name: String
        /// Where it is.
        public var uri: String?
        /// Its digests (`sha256`, `gitCommit`).
        public var digest: [String: String]?
    }

    /// Who ran the build.
    public struct RunDetails: Sendable, Equatable, Encodable {
        /// The builder.
        public var builder: Builder
        /// When.
        public var metadata: Metadata?
    }

    /// The builder's identity and version.
    public struct Builder: Sendable, Equatable, Encodable {
        /// A URI naming the build platform (a CI workflow run, or ``SLSAProvenance/localBuilderID``).
        public var id: String
        /// `{"labforge": "<version>"}`.
        public var version: [String: String]
    }

    /// Times and the invocation.
    public struct Metadata: Sendable, Equatable, Encodable {
        /// The CI run's id, when in CI.
        public var invocationId: String?
        /// RFC 3339.
        public var startedOn: String?
        /// RFC 3339.
        public var finishedOn: String?
    }

    /// The provenance of one image build.
    /// - Parameters:
    ///   - recipe: Recipe name, version and fingerprint.
    ///   - baseIdentity: The base image's identity (`name@sha256:…` or a bootstrap key).
    ///   - labforgeVersion: labforge's version.
    ///   - environment: The process environment: the CI's source revision and run (``CIEnvironment``).
    ///   - startedOn: When the build started (RFC 3339), if known.
    ///   - finishedOn: When it finished (RFC 3339), if known.
    ///   - buildType: ``buildType`` (a containerDisk) or ``podImageBuildType``.
    public init(
        recipe: ExternalParameters.Recipe, baseIdentity: String, labforgeVersion: String,
        environment: [String: String] = ProcessInfo.processInfo.environment, startedOn: String? = nil, finishedOn: String? = nil,
        buildType: String = Self.buildType
    ) {
        let ci = CIEnvironment(environment)
        var dependencies = [Self.base(baseIdentity)]
        if let source = ci.source { dependencies.append(source) }
        buildDefinition = BuildDefinition(
            buildType: buildType, externalParameters: ExternalParameters(recipe: recipe), resolvedDependencies: dependencies)
        runDetails = RunDetails(
            builder: Builder(id: ci.builderID ?? Self.localBuilderID, version: ["labforge": labforgeVersion]),
            metadata: Metadata(invocationId: ci.invocationID, startedOn: startedOn, finishedOn: finishedOn))
    }

    /// `name@sha256:<hex>` as a URI and digest; anything else (a bootstrap key) as the URI alone.
    static func base(_ identity: String) -> ResourceDescriptor {
        if let at = identity.lastIndex(of: "@"), let digest = try? Digest(parsing: String(identity[identity.index(after: at)...])) {
            return ResourceDescriptor(name: "base-image", uri: String(identity[..<at]), digest: [digest.algorithm: digest.hex])
        }
        return ResourceDescriptor(name: "base-image", uri: identity, digest: nil)
    }

    /// The predicate's JSON bytes (sorted keys).
    /// - Returns: The bytes.
    /// - Throws: `EncodingError` (not expected).
    public func encoded() throws -> Data { try CanonicalJSON.encode(self) }
}

/// What a CI system says about the run: the source revision and the run's identity.
/// GitHub Actions (`GITHUB_SHA`, `GITHUB_REPOSITORY`, `GITHUB_SERVER_URL`, `GITHUB_RUN_ID`), GitLab CI (`CI_COMMIT_SHA`,
/// `CI_PROJECT_URL`, `CI_PIPELINE_ID`), or labforge's own `LABFORGE_SOURCE_REVISION` / `LABFORGE_SOURCE_URI` /
/// `LABFORGE_BUILDER_ID` (which win).
public struct CIEnvironment: Sendable, Equatable {
    /// The source the recipe came from, with its commit.
    public var source: SLSAProvenance.ResourceDescriptor?
    /// The run as a builder id.
    public var builderID: String?
    /// The run's id.
    public var invocationID: String?

    /// Reads the environment.
    /// - Parameter environment: The process environment.
    public init(_ environment: [String: String]) {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        var revision: String?
        var uri: String?
        if let sha = value("GITHUB_SHA") {
            revision = sha
            let server = value("GITHUB_SERVER_URL") ?? "https://github.com"
            if let repository = value("GITHUB_REPOSITORY") {
                uri = "git+\(server)/\(repository)" + (value("GITHUB_REF").map { "@\($0)" } ?? "")
                if let run = value("GITHUB_RUN_ID") {
                    builderID = "\(server)/\(repository)/actions/runs/\(run)"
                    invocationID = builderID.map { $0 + (value("GITHUB_RUN_ATTEMPT").map { "/attempts/\($0)" } ?? "") }
                }
            }
        } else if let sha = value("CI_COMMIT_SHA") {
            revision = sha
            uri = value("CI_PROJECT_URL").map { "git+\($0)" + (value("CI_COMMIT_REF_NAME").map { "@\($0)" } ?? "") }
            if let pipeline = value("CI_PIPELINE_URL") ?? value("CI_JOB_URL") { builderID = pipeline }
            invocationID = value("CI_JOB_ID")
        }
        revision = value("LABFORGE_SOURCE_REVISION") ?? revision
        uri = value("LABFORGE_SOURCE_URI") ?? uri
        builderID = value("LABFORGE_BUILDER_ID") ?? builderID
        if revision != nil || uri != nil {
            source = SLSAProvenance.ResourceDescriptor(name: "source", uri: uri, digest: revision.map { ["gitCommit": $0] })
        }
    }
}
