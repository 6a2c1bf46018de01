// deploy/ (Job, Tekton Task, Containerfile) and the images workflow, checked against upstream schemas via jsonschema.
import Foundation
import KubeTestSupport
import Testing
import TestSupport

enum DeployFixtures {
    /// The repository root.
    static let root = KubeFixtures.directory.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// `Tests/KubeTests/Fixtures/deploy`: schemas (see its README for provenance) and the validator.
    static let directory = KubeFixtures.directory.appendingPathComponent("deploy")
    static let kubernetesSchemas = directory.appendingPathComponent("kubernetes-json-schema/v1.34.0-local-strict").path
    static let workflowSchema = directory.appendingPathComponent("github-workflows/github-workflows.json").path

    static let job = root.appendingPathComponent("deploy/kubernetes/labforge-build-job.yaml").path
    static let task = root.appendingPathComponent("deploy/tekton/labforge-build-task.yaml").path
    static let containerfile = root.appendingPathComponent("deploy/Containerfile").path
    static let workflow = root.appendingPathComponent(".github/workflows/images.yml").path

    /// Validates Kubernetes/Tekton YAML; returns (exit status, report).
    static func validate(_ files: [String]) async throws -> (Int32, String) {
        let result = try await Command.run(
            ["python3", directory.appendingPathComponent("validate_deploy.py").path, "--kubernetes", kubernetesSchemas, "--schemas", directory.path]
                + files
        )
        return (result.status, result.stdout + result.stderr)
    }

    /// Validates GitHub workflows against SchemaStore's schema; returns (exit status, report).
    static func validateWorkflow(_ files: [String]) async throws -> (Int32, String) {
        let result = try await Command.run(
            ["python3", directory.appendingPathComponent("validate_deploy.py").path, "--workflow-schema", workflowSchema] + files
        )
        return (result.status, result.stdout + result.stderr)
    }

    /// A copy of `path` with one text replaced, for negative controls.
    static func mutated(_ path: String, replacing old: String, with new: String, in directory: TemporaryDirectory) throws -> String {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains(old), "\(old) not in \(path)")
        let copy = directory.appending(UUID().uuidString + "-" + URL(fileURLWithPath: path).lastPathComponent)
        try text.replacingOccurrences(of: old, with: new).write(toFile: copy, atomically: true, encoding: .utf8)
        return copy
    }
}

@Suite("Deploy files and the images workflow")
struct DeployFilesTests {
    @Test("the Job (with its PVC and Secret) and the Tekton Task validate; typos and wrong types are rejected")
    func schemas() async throws {
        let (status, report) = try await DeployFixtures.validate([DeployFixtures.job, DeployFixtures.task])
        #expect(status == 0, "\(report)")
        #expect(report.components(separatedBy: "\"errors\": []").count - 1 == 4, "\(report)")
        let scratch = try TemporaryDirectory(prefix: "labforge-deploy")
        for (file, old, new) in [
            (DeployFixtures.job, "restartPolicy: Never", "restartPolicyy: Never"),
            (DeployFixtures.job, "backoffLimit: 1", "backoffLimit: one"),
            (DeployFixtures.job, "claimName: labforge-cache", "claim: labforge-cache"),
            (DeployFixtures.task, "      script: |", "      scripts: |"),
            (DeployFixtures.task, "      type: array", "      type: list"),
            (DeployFixtures.task, "apiVersion: tekton.dev/v1", "apiVersion: tekton.dev/v2"),
        ] {
            let broken = try DeployFixtures.mutated(file, replacing: old, with: new, in: scratch)
            await #expect(try DeployFixtures.validate([broken]).0 == 1, "\(new) was accepted")
        }
    }

    @Test("the Job asks for KVM, mounts the cache and the registry config.json, and runs labforge build --push --json")
    func jobContent() async throws {
        let documents = try await KubeFixtures.documents(DeployFixtures.job)
        #expect(documents.compactMap { $0["kind"] as? String } == ["PersistentVolumeClaim", "Secret", "Job"])
        let secret = documents[1]
        #expect(secret["type"] as? String == "kubernetes.io/dockerconfigjson")
        let job = documents[2]
        let pod = try #require(((job["spec"] as? [String: Any])?["template"] as? [String: Any])?["spec"] as? [String: Any])
        let container = try #require((pod["containers"] as? [[String: Any]])?.first)
        let arguments = try #require(container["args"] as? [String])
        #expect(arguments.first == "build")
        // The recipes folder the init container clones into, mounted read-only.
        #expect(arguments.dropFirst().first == "/recipes")
        let initContainer = try #require((pod["initContainers"] as? [[String: Any]])?.first)
        #expect((initContainer["command"] as? [String])?.last?.contains("git clone --depth 1") == true)
        for flag in ["--push", "--json", "--cache-dir", "--output"] { #expect(arguments.contains(flag)) }
        let limits = try #require((container["resources"] as? [String: Any])?["limits"] as? [String: Any])
        #expect(limits["devices.kubevirt.io/kvm"] as? String == "1")
        let security = try #require(container["securityContext"] as? [String: Any])
        #expect(security["privileged"] as? Bool == false)
        let environment = (container["env"] as? [[String: Any]] ?? []).reduce(into: [String: String]()) { $0[$1["name"] as! String] = $1["value"] as? String }
        let mounts = container["volumeMounts"] as? [[String: Any]] ?? []
        let authMount = try #require(mounts.first { $0["name"] as? String == "registry-auth" })
        #expect(environment["DOCKER_CONFIG"] == authMount["mountPath"] as? String)
        let volumes = pod["volumes"] as? [[String: Any]] ?? []
        let auth = try #require(volumes.first { $0["name"] as? String == "registry-auth" }?["secret"] as? [String: Any])
        #expect(auth["secretName"] as? String == (secret["metadata"] as? [String: Any])?["name"] as? String)
        #expect((auth["items"] as? [[String: Any]])?.first?["path"] as? String == "config.json")
        let cache = try #require(volumes.first { $0["name"] as? String == "cache" }?["persistentVolumeClaim"] as? [String: Any])
        #expect(cache["claimName"] as? String == (documents[0]["metadata"] as? [String: Any])?["name"] as? String)
    }

    @Test("the Tekton Task takes recipes (array) and a registry prefix, keeps the cache in a workspace")
    func taskContent() async throws {
        let task = try await #require(try KubeFixtures.documents(DeployFixtures.task).first)
        let spec = try #require(task["spec"] as? [String: Any])
        let params = (spec["params"] as? [[String: Any]] ?? []).reduce(into: [String: String]()) { $0[$1["name"] as! String] = $1["type"] as? String }
        #expect(params["recipes"] == "array")
        #expect(params["registry-prefix"] == "string")
        let workspaces = (spec["workspaces"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(workspaces.contains("cache"))
        #expect(workspaces.contains("dockerconfig"))
        #expect(workspaces.contains("source"))
        let step = try #require((spec["steps"] as? [[String: Any]])?.first)
        #expect(step["args"] as? [String] == ["$(params.recipes[*])"])
        let script = try #require(step["script"] as? String)
        #expect(script.contains("labforge build \"${source[@]}\" \"$@\" --push \"$REGISTRY_PREFIX\""))
        #expect(script.contains("$CACHE_PATH/labforge"))
        // The script itself is valid bash.
        let scratch = try TemporaryDirectory(prefix: "labforge-tekton")
        try script.write(toFile: scratch.appending("step.sh"), atomically: true, encoding: .utf8)
        let syntax = try await Command.run(["bash", "-n", scratch.appending("step.sh")])
        #expect(syntax.status == 0, "\(syntax.stderr)")
    }

    @Test("the images workflow validates against SchemaStore's github-workflow schema and wires the jobs together")
    func workflow() async throws {
        let (status, report) = try await DeployFixtures.validateWorkflow([DeployFixtures.workflow])
        #expect(status == 0, "\(report)")
        let scratch = try TemporaryDirectory(prefix: "labforge-workflow")
        let broken = try DeployFixtures.mutated(DeployFixtures.workflow, replacing: "timeout-minutes: 150", with: "timeout-minute: 150", in: scratch)
        await #expect(try DeployFixtures.validateWorkflow([broken]).0 == 1)

        let workflow = try await #require(try KubeFixtures.documents(DeployFixtures.workflow).first)
        let jobs = try #require(workflow["jobs"] as? [String: [String: Any]])
        #expect(Set(jobs.keys) == ["plan", "build", "catalog", "pages"])
        func runs(_ job: String) -> String {
            (jobs[job]?["steps"] as? [[String: Any]] ?? []).compactMap { $0["run"] as? String }.joined(separator: "\n")
        }
        func uses(_ job: String) async -> [String] { (jobs[job]?["steps"] as? [[String: Any]] ?? []).compactMap { $0["uses"] as? String } }
        #expect(runs("plan").contains("labforge list \"$SOURCE\" --json"))
        #expect(runs("plan").contains("make install PREFIX="))
        let matrix = (jobs["build"]?["strategy"] as? [String: Any])?["matrix"] as? [String: Any]
        #expect(matrix?["recipe"] as? String == "${{ fromJSON(needs.plan.outputs.recipes) }}")
        #expect(jobs["build"]?["runs-on"] as? String == "ubuntu-latest")
        #expect(runs("build").contains("99-kvm4all.rules"))
        #expect(runs("build").contains("build \"$SOURCE\" \"$RECIPE\" --output images --json"))
        await #expect(uses("build").contains("docker/login-action@v3"))
        #expect(runs("catalog").contains("labforge catalog merge"))
        await #expect(uses("pages").contains("actions/deploy-pages@v4"))
        // Pushing needs packages: write in the build job only; the workflow default stays read-only.
        #expect((workflow["permissions"] as? [String: String]) == ["contents": "read"])
        #expect((jobs["build"]?["permissions"] as? [String: String])?["packages"] == "write")
        // Every run: block is valid bash (expressions are substituted by GitHub before bash sees them).
        for job in jobs.keys {
            let path = scratch.appending("\(job).sh")
            try runs(job).write(toFile: path, atomically: true, encoding: .utf8)
            let syntax = try await Command.run(["bash", "-n", path])
            #expect(syntax.status == 0, "\(job): \(syntax.stderr)")
        }
    }

    @Test("labforge init's workflow validates against the same schema, has our matrix shape, and its run: blocks are bash")
    func starterWorkflow() async throws {
        let scratch = try TemporaryDirectory(prefix: "labforge-starter")
        let repository = scratch.appending("lab-recipes")
        let made = try await Command.labforge(["init", repository, "--labforge-image", "ghcr.io/acme/labforge:0.1.0"])
        #expect(made.status == 0, "\(made.stderr)")
        let workflowPath = repository + "/.github/workflows/images.yml"
        let (status, report) = try await DeployFixtures.validateWorkflow([workflowPath])
        #expect(status == 0, "\(report)")
        let broken = try DeployFixtures.mutated(workflowPath, replacing: "timeout-minutes: 150", with: "timeout-minute: 150", in: scratch)
        await #expect(try DeployFixtures.validateWorkflow([broken]).0 == 1)

        let workflow = try await #require(try KubeFixtures.documents(workflowPath).first)
        let jobs = try #require(workflow["jobs"] as? [String: [String: Any]])
        #expect(Set(jobs.keys) == ["plan", "build", "catalog", "pages"])
        let matrix = (jobs["build"]?["strategy"] as? [String: Any])?["matrix"] as? [String: Any]
        #expect(matrix?["recipe"] as? String == "${{ fromJSON(needs.plan.outputs.recipes) }}")
        for job in ["plan", "build", "catalog"] {
            #expect((jobs[job]?["container"] as? [String: Any])?["image"] as? String == "ghcr.io/acme/labforge:0.1.0", "\(job)")
        }
        #expect(((jobs["build"]?["container"] as? [String: Any])?["options"] as? String)?.contains("--device /dev/kvm") == true)
        #expect((workflow["permissions"] as? [String: String]) == ["contents": "read"])
        #expect((jobs["build"]?["permissions"] as? [String: String])?["packages"] == "write")
        for job in jobs.keys {
            let runs = (jobs[job]?["steps"] as? [[String: Any]] ?? []).compactMap { $0["run"] as? String }.joined(separator: "\n")
            let path = scratch.appending("\(job).sh")
            try runs.write(toFile: path, atomically: true, encoding: .utf8)
            let syntax = try await Command.run(["bash", "-n", path])
            #expect(syntax.status == 0, "\(job): \(syntax.stderr)")
            if job == "build" { #expect(runs.contains(#"labforge build recipes "$RECIPE" --output images --json"#)) }
            if job == "plan" { #expect(runs.contains("labforge list recipes")) }
        }
    }

    @Test("the labforge build command lines of the Job, the Task and the workflow parse with the real CLI")
    func buildCommandLines() async throws {
        let job = try await #require(try KubeFixtures.documents(DeployFixtures.job).last)
        let pod = try #require(((job["spec"] as? [String: Any])?["template"] as? [String: Any])?["spec"] as? [String: Any])
        let jobArguments = try #require((pod["containers"] as? [[String: Any]])?.first?["args"] as? [String])
        let task = try String(contentsOfFile: DeployFixtures.task, encoding: .utf8)
        #expect(task.contains(#"labforge build "${source[@]}" "$@" --push "$REGISTRY_PREFIX" --jobs "$JOBS" --json"#))
        #expect(task.contains(#"--output "$CACHE_PATH/images" --cache-dir "$CACHE_PATH/labforge""#))
        let workflow = try String(contentsOfFile: DeployFixtures.workflow, encoding: .utf8)
        #expect(workflow.contains(#"build "$SOURCE" "$RECIPE" --output images --json --cache-dir "$HOME/.cache/labforge" "${destination[@]}""#))
        #expect(workflow.contains(#"destination=(--push "$prefix" --authfile "$HOME/.docker/config.json")"#))
        #expect(workflow.contains(#"labforge catalog merge "${inputs[@]}" --catalog site/catalog.json --ignore-existing --json"#))
        let commandLines = [
            jobArguments + ["debian-terminal"],
            ["build", "/workspace/source", "debian-terminal", "--push", "registry.example.org/labs", "--jobs", "1", "--json", "--output",
             "/cache/images", "--cache-dir", "/cache/labforge"],
            ["build", "recipes", "debian-terminal", "--output", "images", "--json", "--cache-dir", "/home/runner/.cache/labforge", "--push",
             "ghcr.io/owner/labs", "--authfile", "/home/runner/.docker/config.json"],
            ["build", "recipes", "debian-terminal", "--output", "images", "--json", "--cache-dir", "/home/runner/.cache/labforge",
             "--reference-prefix", "ghcr.io/owner/labs"],
        ]
        for arguments in commandLines {
            // A zero --verify-timeout is refused after every other option has been parsed and checked, so
            // nothing is built: reaching that refusal proves the rest of the command line is accepted.
            let result = try await Command.labforge(arguments + ["--verify-timeout", "0"])
            #expect(result.status != 0)
            #expect(result.stderr.contains("--verify-timeout must be positive"), "\(arguments): \(result.stderr)")
        }
    }

    @Test("the Containerfile installs runtime packages from the Makefile's DEB_PACKAGES (plus their runtime libraries) that Debian 12 has")
    func containerfilePackages() async throws {
        let containerfile = try String(contentsOfFile: DeployFixtures.containerfile, encoding: .utf8)
        let makefile = try String(contentsOfFile: DeployFixtures.root.appendingPathComponent("Makefile").path, encoding: .utf8)
        func words(after marker: String, in text: String, until end: String) -> [String] {
            guard let start = text.range(of: marker) else { return [] }
            let rest = text[start.upperBound...]
            let block = rest[..<(rest.range(of: end)?.lowerBound ?? rest.endIndex)]
            return block.replacingOccurrences(of: "\\", with: " ").split(whereSeparator: \.isWhitespace).map(String.init)
        }
        let debPackages = Set(words(after: "DEB_PACKAGES :=", in: makefile, until: "\n\n"))
        #expect(debPackages.contains("libguestfs-tools"))
        // The runtime stage's install: the last apt-get install, up to the `&&` that ends it.
        // The runtime stage is the Swift image again (recipes compile at run time): the text after the last FROM.
        let runtime = String(containerfile[containerfile.range(of: "\nFROM ${SWIFT_IMAGE}\n", options: .backwards)!.upperBound...])
        let installed = words(after: "--no-install-recommends", in: runtime, until: "&&")
        let runtimeLibraries: Set = ["libarchive13", "zlib1g", "libzstd1", "libdeflate0", "ca-certificates"]
        #expect(installed.count > 10)
        for package in installed { #expect(debPackages.contains(package) || runtimeLibraries.contains(package), "\(package)") }
        for needed in ["libguestfs-tools", "linux-image-amd64", "qemu-utils", "qemu-system-x86", "mmdebstrap"] { #expect(installed.contains(needed)) }
        #expect(containerfile.contains("FROM ${SWIFT_IMAGE} AS build"))
        #expect(containerfile.contains("RUN make install PREFIX=/usr/local DESTDIR=/out"))
        #expect(containerfile.contains("COPY --from=build /out/usr/local /usr/local"))
        #expect(containerfile.contains("swift:6."))
        // This machine is Debian 12 like the runtime stage: every package name must resolve.
        let policy = try await Command.run(["apt-cache", "show", "--no-all-versions"] + installed)
        #expect(policy.status == 0, "\(policy.stderr)")
    }
}
