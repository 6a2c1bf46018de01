// The stages of one image's build, each returning its value, outcome and one line of detail.
import Bases
import Customize
import DiskImage
import EngineIdentity
import Foundation
import Kube
import LabforgeRecipe
import OCI
import Registry
import Reporting
import Signing
import Verify

extension ImageBuilder {
    /// The recipe's leading install steps that the bootstrap installs on the host (``HostPackagePlan``): only
    /// when the base is a labforge bootstrap, and unless `LABFORGE_HOST_PACKAGES=0`.
    var hostPackages: HostPackagePlan? {
        guard case .debianBootstrap = recipe.base,
              ProcessInfo.processInfo.environment["LABFORGE_HOST_PACKAGES"] != "0"
        else { return nil }
        let plan = HostPackagePlan(plan: recipe.plan)
        return plan.isEmpty ? nil : plan
    }

    /// The base as built: the recipe's, or its bootstrap with the host packages added (a base keyed by that package set).
    var builtBase: BaseImage {
        guard case .debianBootstrap(var spec) = recipe.base, let host = hostPackages else { return recipe.base }
        spec.extraPackages += host.packages.filter { !spec.extraPackages.contains($0) }
        spec.pinnedPackages += host.pinned.filter { !spec.pinnedPackages.contains($0) }
        return .debianBootstrap(spec)
    }

    /// Download or bootstrap the base (cached by the base store).
    func resolveBase(state: State, log: BuildLog) async throws -> (ResolvedBase, StageRecord.Outcome, String) {
        if let host = hostPackages {
            log.line("steps \(host.steps.map(String.init).joined(separator: ", ")) install on the host, in the bootstrapped base: \(host.packages.joined(separator: " "))")
        }
        // Pinned .debs the bootstrap installs come from the recipe's artifact cache, verified like the appliance's.
        var pinnedFiles: [String: String] = [:]
        if case .debianBootstrap(let spec) = builtBase {
            let artifacts = ArtifactCache(directory: cache.artifacts, locks: cache.locks)
            for artifact in spec.pinnedPackages.compactMap(\.source.artifact) where pinnedFiles[artifact.sha256] == nil {
                pinnedFiles[artifact.sha256] = try await artifacts.fetch(artifact, leases: state.leases)
            }
        }
        let base = try await store.resolve(builtBase, pinnedFiles: pinnedFiles, progress: reporter, leases: state.leases)
        log.line("base: \(base.path) (\(base.identity))")
        return (base, base.wasCached ? .cached : .ran, "\(base.identity)")
    }

    /// Customize and finalize into the cache (keyed by fingerprint), resuming from the step cache.
    func customize(base: ResolvedBase, fingerprint: ImageFingerprint, state: State, log: BuildLog) async throws -> ((), StageRecord.Outcome, String) {
        try cache.prepare()
        let disk = cache.disk(fingerprint)
        // One build per fingerprint at a time, across processes: the second waits and reuses the disk. The finished
        // disk stays leased (shared) until this build ends, so `labforge cache prune` leaves it alone.
        var detail: String?
        let (lock, _) = try await cache.locks.entry(
            fingerprint.hex, exists: { !options.force && FileManager.default.fileExists(atPath: disk) },
            onWait: { log.line("waiting for another build of fingerprint \(fingerprint.short)") }
        ) {
            var customizer = Customizer(
                memoryMiB: options.applianceMemoryMiB, cpus: Int32(options.cpus),
                cache: ArtifactCache(directory: cache.artifacts, locks: cache.locks), reporter: reporter, logger: logger,
                log: { log.write($0) }
            )
            customizer.stepCache = StepCache(directory: cache.snapshots, locks: cache.locks)
            customizer.compressedOutput = true
            customizer.hostInstalledSteps = Set(hostPackages?.steps ?? [])
            customizer.beforeClose = { appliance, system in
                readSBOM(in: appliance, system: system, disk: disk, fingerprint: fingerprint, state: state, log: log)
            }
            let result = try await customizer.customize(recipe: recipe, base: base.path, baseIdentity: fingerprint.baseIdentity, output: disk)
            let finalize = result.finalizeSeconds ?? 0
            state.finalize = StageRecord(
                stage: .finalize, outcome: .ran, seconds: finalize, detail: "zstd-compressed qcow2, checked: \(ByteCount.format(result.outputBytes))")
            var ran = "\(result.steps.count) steps (\(result.accelerator))"
            if let resumed = result.resumedAfterStep { ran += ", resumed from the step-cache snapshot after step \(resumed)" }
            if let written = result.snapshotsWritten, !written.isEmpty { ran += ", snapshots after steps \(written.map(String.init).joined(separator: ","))" }
            detail = ran
        }
        state.leases.keep(lock)
        state.disk = disk
        if let detail { return ((), .ran, detail) }
        ImageCache.touch(disk)
        state.finalize = StageRecord(stage: .finalize, outcome: .cached, seconds: 0, detail: disk)
        return ((), .cached, "\(disk) (\(ByteCount.format(FileWrite.allocatedBytes(disk))))")
    }

    /// Boot the disk and probe its agents; a passed verification is cached with the disk.
    func verify(fingerprint: ImageFingerprint, output: ImageOutput, state: State, log: BuildLog) async throws -> ((), StageRecord.Outcome, String) {
        guard options.verify, let disk = state.disk else { return ((), .skipped, "--no-verify") }
        let cached = cache.verification(fingerprint)
        if !options.force, let data = FileManager.default.contents(atPath: cached),
           let report = try? JSONDecoder().decode(VerificationReport.self, from: data), report.passed,
           // Only a verification under exactly the firmwares the recipe claims now (an older report has none).
           Set(report.verifiedFirmware) == Set(recipe.firmware) {
            try FileWrite.atomically(data, to: output.verification)
            var pictures = BuildSummary.Pictures()
            for name in [VerifyOptions.desktopPicture, VerifyOptions.terminalScreen] {
                let path = output.directory + "/" + name
                guard let picture = FileManager.default.contents(atPath: cache.picture(fingerprint, name)) else {
                    try? FileManager.default.removeItem(atPath: path)
                    continue
                }
                try FileWrite.atomically(picture, to: path)
                if name == VerifyOptions.desktopPicture { pictures.desktop = path } else { pictures.terminal = path }
            }
            state.verification = .init(
                status: "passed", summary: Self.oneLine(report), report: output.verification,
                pictures: pictures.desktop == nil && pictures.terminal == nil ? nil : pictures)
            return ((), .cached, "passed earlier: " + Self.oneLine(report))
        }
        let plan = ProbePlan(recipe: recipe)
        log.line("probes: \(plan.targets.map(\.name).joined(separator: ", ")) as \(plan.userName); serial console in \(output.console)")
        try? FileManager.default.removeItem(atPath: output.console)
        var verifyOptions = VerifyOptions(
            deadline: options.verifyTimeout, cpus: options.cpus, memoryMiB: max(2048, recipe.minimumMemoryMiB), consoleLog: output.console)
        verifyOptions.pictures = output.directory
        verifyOptions.firmware = recipe.firmware
        log.line("firmware: \(recipe.firmware.map(\.displayName).joined(separator: ", ")) (the first with every probe)")
        let report = try await Verifier(logger: logger, progress: RelabeledProgress(subject: recipe.name, inner: reporter)).verify(disk: disk, plan: plan, options: verifyOptions)
        try report.write(to: output.verification)
        log.write(report.table + "\n")
        state.verification = .init(
            status: report.passed ? "passed" : "failed", summary: Self.oneLine(report), report: output.verification,
            pictures: report.pictures.map { BuildSummary.Pictures(desktop: $0.desktop, terminal: $0.terminal) })
        guard report.passed else {
            // A firmware that did not boot the disk leads (no probe could pass behind it); then the probes that failed.
            throw PipelineError.verificationFailed(image: recipe.name, failed: report.bootFailures + report.failedProbes, log: output.console)
        }
        // The pictures first: a cached verification is only taken with the pictures it had.
        for name in [VerifyOptions.desktopPicture, VerifyOptions.terminalScreen] {
            let taken = output.directory + "/" + name
            if let picture = FileManager.default.contents(atPath: taken) {
                try FileWrite.atomically(picture, to: cache.picture(fingerprint, name))
            } else {
                try? FileManager.default.removeItem(atPath: cache.picture(fingerprint, name))
            }
        }
        try FileWrite.atomically(try report.json(), to: cached)
        return ((), .ran, Self.oneLine(report))
    }

    /// The repository an image goes to (pushed, or named in manifests).
    var target: PushTarget { options.push ?? options.referencePrefix }

    /// The recipe's claimed firmwares with what this build's verification made of each: the report the verify stage
    /// wrote when it ran (``State/verification`` names it), else every firmware not verified.
    /// - Throws: ``PipelineError/verificationReportUnreadable(path:reason:)``.
    func firmwareBasis(state: State) throws -> FirmwareBasis {
        guard let report = state.verification.report else { return FirmwareBasis(claimed: recipe.firmware) }
        return try FirmwareBasis(claimed: recipe.firmware, reportAt: report)
    }

    /// Pack the disk as a containerDisk layout (skipped when the layout is of this fingerprint already).
    /// The cached disk goes into the output directory first (a hard link, else a copy). The config records the claimed
    /// firmware and names the recipe's preference only when the firmware basis holds UEFI Secure Boot.
    func package(fingerprint: ImageFingerprint, output: ImageOutput, state: State) async throws -> ((), StageRecord.Outcome, String) {
        let firmware = try firmwareBasis(state: state)
        state.firmware = firmware
        guard let cached = state.disk else { return ((), .skipped, "no disk") }
        if !FileWrite.sameFile(cached, output.disk) { try FileWrite.link(cached, to: output.disk) }
        let disk = output.disk
        state.disk = disk
        let repository = target.repository(for: recipe.name)
        let preference = firmware.admittedPreference(recipe.preference)
        let firmwareLabel = recipe.firmware.map(\.rawValue)
        // The packaging engine's identity too: a changed packer never reuses a layout an older one wrote; and what the
        // config says besides the disk (the firmware label, the preference the verified firmware admits).
        let key = "\(fingerprint.hex) \(options.layerCompression.rawValue) \(repository) \(EngineIdentity.packaging)"
            + " firmware=\(firmwareLabel.joined(separator: ",")) preference=\(preference ?? "-")"
        if !options.force, let layout = try? ImageLayout(path: output.layout), let (descriptor, _, manifest) = try? layout.manifest(tag: nil),
           manifest.annotations?[Self.buildKeyAnnotation] == key {
            state.packaged = (descriptor.digest.description, output.layout)
            return ((), .cached, "\(descriptor.digest)")
        }
        let options = ContainerDiskOptions(
            name: try RepositoryName(repository), tag: try Tag(recipe.version), compression: options.layerCompression,
            annotations: [
                AnnotationKey.title: recipe.displayName, AnnotationKey.description: recipe.description,
                Self.buildKeyAnnotation: key,
            ],
            instancetype: recipe.instancetype, preference: preference, firmware: firmwareLabel,
            timestamp: options.sourceDateEpoch ?? ReproducibleTime.fallback, force: true
        )
        let packer = ContainerDiskPacker(progress: RelabeledProgress(subject: recipe.name, inner: reporter))
        let layoutPath = output.layout
        let result = try await DedicatedThread.run(name: "labforge.package.\(recipe.name)") {
            try packer.package(disk: disk, into: layoutPath, options: options)
        }
        state.packaged = (result.manifestDigest.description, result.layout)
        return ((), .ran, "\(result.manifestDigest), layer \(ByteCount.format(result.layerSize)) (\(result.compression.rawValue))")
    }

    /// The manifest annotation that records what a layout was packed from.
    static let buildKeyAnnotation = "dev.labforge.build-key"

    /// Push the layout: tags `<version>`, `<version>-<YYYYMMDDhhmm>`, and `latest` for recipes marked so.
    func push(output: ImageOutput, state: State) async throws -> ((), StageRecord.Outcome, String) {
        guard let digest = state.packaged?.digest else { return ((), .skipped, "nothing packaged") }
        let repository = target.repository(for: recipe.name)
        guard let push = options.push else {
            state.reference = "\(target.registry)/\(repository):\(recipe.version)@\(digest)"
            return ((), .skipped, "no --push; manifests name \(target.registry)/\(repository)")
        }
        var tags = [recipe.version, options.datedTag(version: recipe.version)]
        if recipe.latest { tags.append("latest") }
        // A credential helper is a child process waited for synchronously: off the cooperative pool.
        let authFile = options.authFile
        let credential = try await DedicatedThread.run(name: "labforge.credentials") {
            try CredentialStore(authFile: authFile).credential(registry: push.registry, repository: repository)
        }
        let layout = try ImageLayout(path: output.layout)
        let name = try RepositoryName(repository)
        let tagValues = try tags.map { try Tag($0) }
        let reporter = RelabeledProgress(subject: recipe.name, inner: self.reporter)
        let result = try await RegistryClient.withConnection(to: push.registry, credential: credential) { client in
            try await LayoutPusher(destination: client, progress: reporter).push(layout: layout, sourceTag: nil, to: name, tags: tagValues)
        }
        state.pushed = .init(reference: result.reference, repository: "\(push.registry)/\(repository)", tags: result.tags)
        state.reference = "\(push.registry)/\(repository):\(recipe.version)@\(result.digest)"
        var detail = "\(result.reference) tags \(result.tags.joined(separator: ",")), \(ByteCount.format(result.bytesSent)) sent"
        if let sbom = state.sbom {
            let (subject, _, _) = try layout.manifest(tag: nil)
            let content = try Data(contentsOf: URL(fileURLWithPath: sbom.path))
            let annotations = options.sourceDateEpoch.map { [AnnotationKey.created: ReproducibleTime.rfc3339($0)] }
            let attachStarted = Date()
            let attached = try await RegistryClient.withConnection(to: push.registry, credential: credential) { client in
                try await ReferrerPusher(client: client).attach(
                    content, fileName: "sbom.spdx.json", artifactType: "application/spdx+json", to: subject, in: name, annotations: annotations)
            }
            state.sbom?.referrer = "\(push.registry)/\(repository)@\(attached.manifest.digest)"
            state.sbom?.referrerSeconds = Date().timeIntervalSince(attachStarted)
            detail += "; SBOM referrer \(attached.manifest.digest)" + (attached.fallbackTag.map { " (tag \($0))" } ?? "")
        }
        if let key = options.signingKey {
            let signStarted = Date()
            let predicates = try attestedPredicates(state: state)
            _ = try await RegistryClient.withConnection(to: push.registry, credential: credential) { client in
                _ = try await CosignSignature.sign(result.digest, in: name, client: client, key: key)
                return try await CosignAttestation.attach(predicates, to: result.digest, in: name, client: client, key: key)
            }
            state.signature = .init(
                reference: "\(push.registry)/\(repository):\(CosignSignature.tag(for: result.digest))", keyFingerprint: key.fingerprint,
                attestations: "\(push.registry)/\(repository):\(CosignAttestation.tag(for: result.digest))", predicateTypes: predicates.map(\.type),
                seconds: Date().timeIntervalSince(signStarted))
            detail += "; signed and attested (\(key.fingerprint.prefix(19))…)"
        }
        return ((), .ran, detail)
    }

    /// What a signed push attests: the SBOM (when read) and the SLSA provenance of this build.
    func attestedPredicates(state: State) throws -> [CosignAttestation.Predicate] {
        var predicates: [CosignAttestation.Predicate] = []
        if let sbom = state.sbom {
            predicates.append(.init(type: InTotoStatement.PredicateType.spdx, json: try Data(contentsOf: URL(fileURLWithPath: sbom.path))))
        }
        let provenance = SLSAProvenance(
            recipe: .init(name: recipe.name, version: recipe.version, fingerprint: try recipe.fingerprint), baseIdentity: state.baseIdentity,
            labforgeVersion: options.toolVersion, startedOn: state.started.formatted(.iso8601), finishedOn: Date().formatted(.iso8601))
        predicates.append(.init(type: InTotoStatement.PredicateType.slsaProvenanceV1, json: try provenance.encoded()))
        return predicates
    }

    /// Write the Kubernetes manifests for the pinned reference.
    func manifests(output: ImageOutput, state: State) throws -> ((), StageRecord.Outcome, String) {
        guard let layout = state.packaged?.layout else { return ((), .skipped, "nothing packaged") }
        let description = try imageDescription(layout: layout, firmware: state.firmware)
        // Safe defaults (Kube's RouteRule): a NetworkPolicy admitting nothing, no routes, no RoleBinding.
        let set = try ManifestSet(image: description)
        let paths = try ManifestWriter.write(try set.files(), to: output.manifests)
        state.manifests = output.manifests
        let left = set.rule.writesRoutes ? "" : "; no routes, no RoleBinding (`labforge manifests` with --host, --gateway, --auth-header, --access-user writes them)"
        return ((), .ran, "\(paths.count) files for \(description.pinnedReference)\(left)")
    }

    /// The image as manifests and the catalog describe it: facts from the layout, the rest from the recipe.
    /// - Parameters:
    ///   - layout: The containerDisk layout.
    ///   - firmware: The claimed firmwares and their verification (nil: the layout's label, not verified).
    /// - Returns: The description.
    /// - Throws: ``KubeError`` or ``OCIError``.
    func imageDescription(layout: String, firmware: FirmwareBasis?) throws -> ImageDescription {
        var inputs = ImageInputs()
        inputs.name = recipe.name
        inputs.version = recipe.version
        inputs.displayName = recipe.displayName
        inputs.summary = recipe.description
        inputs.operatingSystem = Self.operatingSystem(of: recipe.base)
        inputs.reference = "\(target.registry)/\(target.repository(for: recipe.name)):\(recipe.version)"
        inputs.instancetype = recipe.instancetype
        inputs.preference = recipe.preference
        inputs.firmware = firmware
        inputs.agents = ExposedAgent.agents(of: recipe)
        inputs.labUser = ProbePlan(recipe: recipe).userName
        // Agents that wait for credentials given at boot get them from a Secret disk; without one they stay down.
        if AgentAccess(recipe: recipe).needsBootCredentials, inputs.agents?.isEmpty == false {
            inputs.credentialsSecret = "\(recipe.name)-credentials"
        }
        return try ImageDescription.resolve(.layout(path: layout, tag: nil), inputs: inputs).0
    }

    /// `debian-13` for a trixie bootstrap; the well-known name's `<os>-<version>` prefix for upstream images.
    static func operatingSystem(of base: BaseImage) -> String? {
        switch base {
        case .debianBootstrap(let spec):
            let versions = ["bookworm": "12", "trixie": "13", "forky": "14"]
            return versions[spec.suite].map { "debian-\($0)" } ?? "debian"
        case .upstream(let image):
            let parts = image.name.split(separator: "-")
            guard parts.count >= 2, parts[1].first?.isNumber == true else { return parts.first.map(String.init) }
            return "\(parts[0])-\(parts[1])"
        case .localFile:
            return nil
        }
    }

    static func oneLine(_ report: VerificationReport) -> String {
        let passed = report.results.filter(\.passed).count
        return "\(passed)/\(report.results.count) probes passed (\(report.results.map { "\($0.probe) \($0.passed ? "ok" : "FAILED")" }.joined(separator: ", "))) in \(String(format: "%.0f", report.seconds)) s"
    }
}
