// `labforge push`: publish an OCI layout (a containerDisk) to a registry and print the pinned reference.
import ArgumentParser
import Dispatch
import Foundation
import Logging
import OCI
import Registry
import Reporting
import Signing

struct PushCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Push an OCI image layout (a containerDisk) to a registry.",
        discussion: """
            Blobs the repository already has are skipped (HEAD), blobs in other repositories of the registry are \
            mounted, small blobs go in one PUT and large ones stream from disk in PATCH chunks that resume from the \
            registry's offset after a failure. Transient failures (5xx, 429 with Retry-After, timeouts, dropped \
            connections) are retried with exponential backoff. Credentials come from --username/--password-stdin, \
            --authfile, $REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR/containers/auth.json, ~/.config/containers/auth.json \
            or docker's config.json ($DOCKER_CONFIG or ~/.docker), including credHelpers/credsStore.

            A multi-architecture layout (its tag names an OCI image index, as `labforge build --arch amd64 --arch \
            arm64` writes it) is pushed whole: each platform's manifest the repository lacks goes by digest with its \
            blobs, then the index under each tag; manifests and tags the repository already has are not sent again. \
            With a signing key, the index and each platform's manifest are signed.

            Prints the pullable reference registry/repository@sha256:… (the value for DataVolumes; the index's \
            digest for a multi-architecture layout).
            """
    )

    @Argument(help: "The OCI layout directory; LAYOUT:TAG picks one image of a layout holding several.")
    var layout: String

    @Argument(help: "Destination: REGISTRY/REPOSITORY[:TAG], e.g. 127.0.0.1:5000/labs/debian:1.0.")
    var destination: String

    @Option(name: .customLong("tag"), help: "Extra tag to set on the pushed manifest (repeatable).")
    var extraTags: [String] = []

    @Option(name: .customLong("mount-from"), help: "Repository of the same registry to mount blobs from (repeatable).")
    var mountFrom: [String] = []

    @Flag(help: "Allow plain HTTP and unverified TLS (loopback registries may use plain HTTP without it).")
    var insecure = false

    @Option(help: "Credentials file (docker config.json or containers auth.json format); only this file is read.")
    var authfile: String?

    @Option(help: "User name; the password (or token) is read from standard input with --password-stdin.")
    var username: String?

    @Flag(help: "Read the password for --username from standard input.")
    var passwordStdin = false

    @Option(name: .customLong("chunk-size"), help: "Upload chunk size in MiB; larger blobs are sent in PATCH chunks.")
    var chunkSizeMiB: Int = 64

    @Option(help: "Blobs uploaded at the same time.")
    var jobs: Int = 3

    @Option(help: "Attempts per request before giving up on transient failures.")
    var retries: Int = 6

    @Option(help: "Sign the pushed manifest (an index and each of its manifests) in cosign's format with this EC P-256 PEM key, a file of yours with mode 600 (else $LABFORGE_SIGN_KEY, if set).")
    var signKey: String?

    @Flag(help: "Print the result as one JSON document on standard output (progress as JSON lines on standard error).")
    var json = false

    func validate() throws {
        if passwordStdin, username == nil { throw ValidationError("--password-stdin needs --username") }
        if username != nil, !passwordStdin { throw ValidationError("--username needs --password-stdin (passwords are never taken as arguments)") }
        if chunkSizeMiB < 1 { throw ValidationError("--chunk-size must be at least 1 (MiB)") }
        if jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        if retries < 1 { throw ValidationError("--retries must be at least 1") }
    }

    func run() async throws {
        // First: a key file others can read is refused before the layout is read or a credential helper runs.
        let signingKey = try SigningKey.load(path: signKey)
        var reference: ImageReference
        var extra: [Tag]
        var mounts: [RepositoryName]
        do {
            reference = try ImageReference(parsing: destination)
            extra = try extraTags.map { try Tag($0) }
            mounts = try mountFrom.map { try RepositoryName($0) }
        } catch {
            throw ValidationError("\(error)")
        }
        guard reference.digest == nil else { throw ValidationError("push to a tag, not a digest: \(destination)") }
        let (layoutPath, sourceTag) = Self.splitLayout(layout)
        let image = try ImageLayout(path: layoutPath)
        if reference.tag == nil, let tag = try sourceTag ?? image.manifestDescriptor(tag: nil).annotations?[AnnotationKey.refName] {
            reference.tag = try? Tag(tag)
        }
        let tags = ([reference.tag].compactMap { $0 } + extra).reduce(into: [Tag]()) { if !$0.contains($1) { $0.append($1) } }

        let credential: ResolvedCredential?
        if let username {
            var password = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            while password.hasSuffix("\n") || password.hasSuffix("\r") { password.removeLast() }
            guard !password.isEmpty else { throw ValidationError("--password-stdin: standard input was empty") }
            credential = ResolvedCredential(credential: .basic(username: username, password: password), source: "--username \(username)")
        } else {
            // A credential helper is a child process waited for synchronously: off the cooperative pool.
            let authfile = self.authfile
            let (registry, repository) = (reference.registry, reference.repository.value)
            credential = try await DedicatedThread.run(name: "labforge.credentials") {
                try CredentialStore(authFile: authfile).credential(registry: registry, repository: repository)
            }
        }
        let options = RegistryClient.Options(
            insecure: insecure, chunkSize: Int64(chunkSizeMiB) << 20, retry: RetryPolicy(maxAttempts: retries))
        let reporter = StreamProgressReporter(style: .automatic(json: json))
        let pushJobs = jobs
        let finalReference = reference
        let work = Task {
            try await RegistryClient.withConnection(to: finalReference.registry, credential: credential, options: options) { client in
                let result = try await LayoutPusher(destination: client, progress: reporter, parallelUploads: pushJobs)
                    .push(layout: image, sourceTag: sourceTag, to: finalReference.repository, tags: tags, mountFrom: mounts)
                if let signingKey {
                    for digest in [result.digest] + result.platforms.map(\.digest) {
                        _ = try await CosignSignature.sign(digest, in: finalReference.repository, client: client, key: signingKey)
                        FileHandle.standardError.write(Data("signed \(digest) with \(signingKey)\n".utf8))
                    }
                }
                return result
            }
        }
        // Ctrl-C cancels the push: in-flight requests stop, an open upload session is abandoned, nothing is tagged.
        signal(SIGINT, SIG_IGN)
        let interrupt = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        interrupt.setEventHandler { work.cancel() }
        interrupt.resume()
        defer {
            interrupt.cancel()
            signal(SIGINT, SIG_DFL)
        }
        let result: PushResult
        do {
            result = try await work.value
        } catch is CancellationError {
            FileHandle.standardError.write(Data("labforge push: cancelled; no tag was changed\n".utf8))
            throw ExitCode(130)
        }
        if json {
            try printJSON(result)
        } else {
            print(result.reference)
        }
    }

    /// `dir` → (dir, nil); `dir:tag` → (dir, tag) when `dir:tag` is not itself a directory.
    static func splitLayout(_ argument: String) -> (String, String?) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory), isDirectory.boolValue { return (argument, nil) }
        guard let colon = argument.lastIndex(of: ":") else { return (argument, nil) }
        return (String(argument[..<colon]), String(argument[argument.index(after: colon)...]))
    }
}
