// Shared inputs of the Kube and Classroom tests: sample images, the fixtures folder, the schema validator, YAML read back
// by PyYAML, a hand-made layout.
import Foundation
import Kube
import OCI
import Testing
import TestSupport

public enum KubeFixtures {
    /// `Tests/KubeTests/Fixtures` (schemas and validators, read by path; not compiled).
    public static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("KubeTests/Fixtures")
    /// Upstream CRD schemas (kubeconform layout) and our Kustomization schema.
    public static let schemaRoots = [directory.appendingPathComponent("kubeconform").path, directory.appendingPathComponent("labforge-schemas").path]
    /// Upstream strict schemas of the built-in kinds (yannh/kubernetes-json-schema standalone-strict layout).
    public static let kubernetesSchemas = directory.appendingPathComponent("kubernetes").path

    public static let digest = try! Digest(parsing: "sha256:" + String(repeating: "ab", count: 32))

    /// An image with both agents, instancetype, preference and a credentials Secret.
    public static func desktopImage(name: String = "debian-desktop") -> ImageDescription {
        ImageDescription(
            name: name, version: "1.0", displayName: "Debian desktop", summary: "Xfce desktop and a terminal in the browser.",
            operatingSystem: OperatingSystemLabel(id: "debian", version: "13"), repository: "registry.example.org/labs/debian-desktop",
            tag: "1.0", digest: digest, diskVirtualSize: 10 << 30, diskFormat: "qcow2", compressedSize: 340 << 20,
            instancetype: "u1.medium", preference: "debian",
            agents: [ExposedAgent(kind: .terminal), ExposedAgent(kind: .desktop, port: 6080, basePath: "/")],
            labUser: "student", credentialsSecret: "lab-credentials"
        )
    }

    /// An image with nothing optional: no agents, no instancetype, no tag, no Secret.
    public static func bareImage() -> ImageDescription {
        ImageDescription(name: "bare", version: "0.1", repository: "127.0.0.1:5000/bare", digest: digest, diskVirtualSize: 1)
    }

    /// Runs validate.py on YAML files; returns (exit status, report).
    public static func validate(_ files: [String]) async throws -> (Int32, String) {
        var arguments = ["python3", directory.appendingPathComponent("validate.py").path]
        for root in schemaRoots { arguments += ["--schemas", root] }
        arguments += ["--kubernetes", kubernetesSchemas]
        let result = try await Command.run(arguments + files)
        return (result.status, result.stdout + result.stderr)
    }

    /// An image whose terminal is ttyd `--auth-header X-Forwarded-User`, as a recipe with `.proxyHeader` builds it.
    public static func proxyHeaderImage(header: String? = "X-Forwarded-User") -> ImageDescription {
        var image = desktopImage()
        image.agents = [ExposedAgent(kind: .terminal, auth: "proxy-header", authHeader: header)]
        return image
    }

    /// Every YAML document of a file as JSON objects (PyYAML: the workflow's `on` key becomes "true").
    public static func documents(_ path: String) async throws -> [[String: Any]] {
        let script = "import json, sys, yaml; json.dump([d for d in yaml.safe_load_all(open(sys.argv[1])) if d is not None], sys.stdout)"
        let result = try await Command.check(["python3", "-c", script, path])
        return try #require(try JSONSerialization.jsonObject(with: result.stdoutData) as? [[String: Any]])
    }

    /// Writes a minimal OCI layout like `labforge package` does: one layer, labforge's disk annotations,
    /// CDI's instancetype variables and `labels` in the config, the platform `architecture`. Made here because the packer
    /// lives on another branch.
    public static func makeLayout(
        at path: String, virtualSize: Int64?, tag: String = "1.0", labels: [String: String]? = nil, architecture: String = "amd64"
    ) async throws -> Digest {
        let blobs = URL(fileURLWithPath: path).appendingPathComponent("blobs/sha256")
        try FileManager.default.createDirectory(at: blobs, withIntermediateDirectories: true)
        func put(_ data: Data) throws -> Digest {
            let digest = Digest.sha256(of: data)
            try data.write(to: blobs.appendingPathComponent(digest.hex))
            return digest
        }
        // A real gzip'd tar holding disk/disk.img, so registry tools see a well-formed layer.
        let tree = try TemporaryDirectory(prefix: "labforge-layer")
        try FileManager.default.createDirectory(atPath: tree.appending("disk"), withIntermediateDirectories: true)
        try Data(repeating: 0, count: 4096).write(to: URL(fileURLWithPath: tree.appending("disk/disk.img")))
        let tar = try await Command.check(["tar", "--format=posix", "--owner=107", "--group=107", "--mtime=@0", "-C", tree.path, "-cf", "-", "disk"]).stdoutData
        let layer = try await Command.check(["gzip", "-n", "-c"], input: tar).stdoutData
        let layerDigest = try put(layer)
        let config = ImageConfig(
            created: "2026-11-25T12:00:00Z", architecture: architecture,
            config: .init(Env: [
                "\(ContainerDiskEnvironment.defaultInstancetype)=u1.small", "\(ContainerDiskEnvironment.defaultPreference)=debian",
            ], Labels: labels),
            rootfs: .init(diffIDs: [Digest.sha256(of: tar)]), history: nil
        )
        let configData = try CanonicalJSON.encode(config)
        let configDigest = try put(configData)
        var annotations = [
            AnnotationKey.version: "1.0", AnnotationKey.title: "Debian lab", AnnotationKey.created: "2026-11-25T12:00:00Z",
            AnnotationKey.diskFormat: "qcow2",
        ]
        if let virtualSize { annotations[AnnotationKey.diskVirtualSize] = "\(virtualSize)" }
        let manifest = ImageManifest(
            config: Descriptor(mediaType: MediaType.imageConfig, digest: configDigest, size: Int64(configData.count)),
            layers: [Descriptor(mediaType: MediaType.layerTarGzip, digest: layerDigest, size: Int64(layer.count))],
            annotations: annotations
        )
        let manifestData = try CanonicalJSON.encode(manifest)
        let manifestDigest = try put(manifestData)
        let index = ImageIndex(manifests: [
            Descriptor(
                mediaType: MediaType.imageManifest, digest: manifestDigest, size: Int64(manifestData.count), annotations: [AnnotationKey.refName: tag],
                platform: Platform(architecture: architecture))
        ])
        try CanonicalJSON.encode(index).write(to: URL(fileURLWithPath: path).appendingPathComponent("index.json"))
        try ImageLayout.layoutFileContents.write(to: URL(fileURLWithPath: path).appendingPathComponent("oci-layout"))
        return manifestDigest
    }

    /// Writes a multi-architecture layout as a build leaves it: one image per architecture (``makeLayout(at:virtualSize:tag:labels:architecture:)``,
    /// each with its `firmware` label) joined by OCI's `MultiArchLayout` under one image index.
    /// - Returns: The index's digest and each architecture's manifest digest.
    public static func makeMultiArchLayout(
        at path: String, virtualSize: Int64, tag: String = "1.0", firmware: [String: String]
    ) async throws -> (index: Digest, manifests: [String: Digest]) {
        var manifests: [String: Digest] = [:]
        var singles: [String] = []
        for architecture in firmware.keys.sorted() {
            let single = path + "." + architecture
            manifests[architecture] = try await makeLayout(
                at: single, virtualSize: virtualSize, tag: tag, labels: [AnnotationKey.firmware: firmware[architecture] ?? ""], architecture: architecture)
            singles.append(single)
        }
        let index = try MultiArchLayout.write(images: singles, into: path, tag: try Tag(tag))
        for single in singles { try FileManager.default.removeItem(atPath: single) }
        return (index.index.digest, manifests)
    }
}
