// The image configuration (OCI image spec, config.md), with what a containerDisk needs.

/// The config blob: platform, environment, layer diff_ids, history.
public struct ImageConfig: Sendable, Hashable, Codable {
    /// Execution parameters; a containerDisk only uses `Env` (CDI reads the instancetype variables), a pod lab image all of them.
    public struct Execution: Sendable, Hashable, Codable {
        /// `name`, `uid`, `uid:gid`: who the entrypoint runs as.
        public var User: String?
        /// `port/tcp` → `{}`.
        public var ExposedPorts: [String: EmptyObject]?
        /// `KEY=value` strings.
        public var Env: [String]?
        /// The program and its arguments.
        public var Entrypoint: [String]?
        /// Default arguments to the entrypoint.
        public var Cmd: [String]?
        /// The working directory of the entrypoint.
        public var WorkingDir: String?
        /// Labels.
        public var Labels: [String: String]?
        /// The signal that stops the container.
        public var StopSignal: String?

        /// Creates execution parameters.
        public init(
            User: String? = nil, ExposedPorts: [String: EmptyObject]? = nil, Env: [String]? = nil, Entrypoint: [String]? = nil,
            Cmd: [String]? = nil, WorkingDir: String? = nil, Labels: [String: String]? = nil, StopSignal: String? = nil
        ) {
            self.User = User
            self.ExposedPorts = ExposedPorts
            self.Env = Env
            self.Entrypoint = Entrypoint
            self.Cmd = Cmd
            self.WorkingDir = WorkingDir
            self.Labels = Labels
            self.StopSignal = StopSignal
        }
    }

    /// The JSON `{}` the spec uses as set members (`ExposedPorts`).
    public struct EmptyObject: Sendable, Hashable, Codable {
        /// Creates the empty object.
        public init() {}
    }

    /// The uncompressed layers, by digest of the uncompressed tar.
    public struct RootFS: Sendable, Hashable, Codable {
        /// Always `layers`.
        public var type: String
        /// sha256 of each uncompressed layer tar, base first.
        public var diff_ids: [Digest]

        /// Creates a rootfs description.
        public init(diffIDs: [Digest]) {
            type = "layers"
            diff_ids = diffIDs
        }
    }

    /// How a layer was made.
    public struct History: Sendable, Hashable, Codable {
        /// RFC 3339 time.
        public var created: String?
        /// The command that made the layer.
        public var created_by: String?
        /// A comment.
        public var comment: String?

        /// Creates a history entry.
        public init(created: String?, created_by: String?, comment: String? = nil) {
            self.created = created
            self.created_by = created_by
            self.comment = comment
        }
    }

    /// RFC 3339 creation time.
    public var created: String?
    /// GOARCH-style architecture.
    public var architecture: String
    /// `linux`.
    public var os: String
    /// Execution parameters.
    public var config: Execution?
    /// Layer diff_ids.
    public var rootfs: RootFS
    /// Layer history.
    public var history: [History]?

    /// Creates a config.
    public init(created: String?, architecture: String, os: String = "linux", config: Execution?, rootfs: RootFS, history: [History]?) {
        self.created = created
        self.architecture = architecture
        self.os = os
        self.config = config
        self.rootfs = rootfs
        self.history = history
    }
}
