// `labforge base fetch|bootstrap`: make one base image available locally (download or Debian bootstrap).
import ArgumentParser
import Bases
import Foundation
import LabforgeRecipe
import Reporting

/// `labforge base …`: fetch upstream images into the cache, bootstrap a Debian base.
struct BaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "base",
        abstract: "Fetch a pinned upstream image into the cache, or bootstrap a bootable Debian base from the Debian mirror.",
        subcommands: [Fetch.self, Bootstrap.self]
    )

    /// `labforge base fetch <name|url> …`
    struct Fetch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download, verify and cache upstream images (well-known names or URLs).",
            discussion: """
                A well-known name (see `labforge bases`) brings its own pinned checksum. A URL needs --sha256 or
                --sha512. Downloads are resumed when interrupted, decompressed (xz, gz) and converted to qcow2.
                Prints the cached path of each image.
                """
        )

        @Argument(help: "Well-known base names or http(s) URLs.")
        var bases: [String]

        @Option(help: "sha256 of the file at the URL (only with one URL).")
        var sha256: String?

        @Option(help: "sha512 of the file at the URL (only with one URL).")
        var sha512: String?

        @Option(help: "Disk format after decompression: qcow2, raw, vmdk (URLs only).")
        var format: String = "qcow2"

        @Option(help: "Compression of the file at the URL: none, xz, gz (URLs only; default: from the file name).")
        var compression: String?

        @OptionGroup var options: CacheOptions

        func validate() throws {
            let urls = bases.filter { $0.contains("://") }
            if !urls.isEmpty && (sha256 == nil) == (sha512 == nil) {
                throw ValidationError("a URL needs exactly one of --sha256 or --sha512")
            }
            if urls.count > 1 { throw ValidationError("give one URL at a time (its checksum is per file)") }
            if DiskFormat(rawValue: format) == nil { throw ValidationError("--format must be qcow2, raw or vmdk") }
            if let compression, DownloadCompression(rawValue: compression) == nil {
                throw ValidationError("--compression must be none, xz or gz")
            }
        }

        func run() async throws {
            let store = BaseImageStore(cache: options.cache, toolVersion: LabforgeVersion.current)
            var results: [FetchResult] = []
            for name in bases {
                let image = try upstreamImage(for: name)
                let resolved = try await store.resolve(.upstream(image), progress: options.progress)
                results.append(FetchResult(name: image.name, url: image.url, base: resolved))
                if !options.json { print(resolved.path) }
            }
            if options.json { try printJSON(results) }
        }

        private func upstreamImage(for name: String) throws -> UpstreamImage {
            guard name.contains("://") else {
                guard let known = WellKnownBases.named(name) else {
                    throw BasesError.unknownBase(name: name, known: WellKnownBases.all.map(\.image.name))
                }
                return known.image
            }
            let checksum = try Checksum.parse(sha256.map { "sha256:\($0)" } ?? "sha512:\(sha512 ?? "")")
            let fileName = URL(string: name)?.lastPathComponent ?? name
            let guessed: DownloadCompression = fileName.hasSuffix(".xz") ? .xz : fileName.hasSuffix(".gz") ? .gz : .none
            return UpstreamImage(
                name: fileName, url: name, checksum: checksum, format: DiskFormat(rawValue: format) ?? .qcow2,
                compression: compression.flatMap(DownloadCompression.init(rawValue:)) ?? guessed
            )
        }
    }

    /// `labforge base bootstrap --suite trixie --output base.qcow2`
    struct Bootstrap: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Build a bootable Debian qcow2 from the Debian mirror alone, on the host (mmdebstrap, sfdisk, mke2fs, mkfs.vfat; needs root).",
            discussion: """
                GPT with an EFI system partition (shim → Debian's signed GRUB → Debian's signed kernel at the removable-media
                path: boots under UEFI with Secure Boot and fresh NVRAM, as KubeVirt's debian preference starts it), a BIOS boot
                partition (GRUB i386-pc: SeaBIOS) and an ext4 root labelled rootfs whose /boot/grub/grub.cfg Debian's kernel
                hooks keep current; serial console, DHCP on the first NIC (systemd-networkd), cloud-init (NoCloud, ConfigDrive),
                qemu-guest-agent, openssh-server. Cached by (suite, packages, size, labforge version, and the
                sha256 of the suite's, -updates' and -security's InRelease files, checked at most every --check-hours);
                set SOURCE_DATE_EPOCH for reproducible file times and filesystem UUID. Without --output, prints the cached path.
                """
        )

        @Option(help: "Debian suite.")
        var suite = "trixie"

        @Option(name: .customLong("package"), help: "Extra package to include (repeatable).")
        var packages: [String] = []

        @Option(name: .customLong("size"), help: "Virtual disk size in GiB.")
        var sizeGiB = 4

        @Option(name: .customLong("arch"), help: ArgumentHelp(
            "Architecture: amd64, or arm64 (bootstrapped under qemu-user; cached as a root tree archive, --output writes its disk).",
            valueName: "amd64|arm64"), transform: Architecture.parseOption)
        var architecture: Architecture = .amd64

        @Option(help: "Write a copy of the base here (a fresh qcow2 you may modify).")
        var output: String?

        @Option(help: "Debian mirror.")
        var mirror = "http://deb.debian.org/debian"

        @Option(name: .customLong("security-mirror"), help: "Debian security mirror.")
        var securityMirror = "http://deb.debian.org/debian-security"

        @Flag(help: "Ask the mirror now whether the archives changed (their InRelease digests key the base).")
        var refresh = false

        @Option(name: .customLong("check-hours"), help: "Ask the mirror at most this often (hours) without --refresh.")
        var checkHours = 6

        @OptionGroup var options: CacheOptions

        @OptionGroup var accelerator: AcceleratorOptions

        func validate() throws {
            guard (1...2048).contains(sizeGiB) else { throw ValidationError("--size must be between 1 and 2048 GiB") }
            guard checkHours >= 0 else { throw ValidationError("--check-hours must not be negative") }
        }

        func run() async throws {
            accelerator.apply()
            let store = BaseImageStore(
                cache: options.cache, toolVersion: LabforgeVersion.current,
                bootstrapper: DebianBootstrapper(mirror: mirror, securityMirror: securityMirror),
                archivePolicy: ArchiveCheckPolicy(maximumAge: .seconds(checkHours * 3600), refresh: refresh)
            )
            let spec = DebianBootstrap(suite: suite, extraPackages: packages, diskSizeGiB: sizeGiB, architecture: architecture)
            let resolved = try await store.resolve(.debianBootstrap(spec), progress: options.progress)
            var path = resolved.path
            if let output {
                path = absolute(output)
                switch resolved.content {
                case .disk: try await resolved.copy(to: path)
                case .rootTreeArchive: try await store.bootstrapper.writeDisk(rootTreeArchive: resolved.path, spec: spec, sizeGiB: sizeGiB, output: path)
                }
            }
            if options.json {
                try printJSON(BootstrapResult(
                    suite: suite, path: path, cachedPath: resolved.path, identity: resolved.identity, wasCached: resolved.wasCached,
                    archiveDate: store.lastKnownArchiveState(for: spec)?.newestDate
                ))
            } else {
                print(path)
            }
        }
    }
}

/// What `base fetch --json` prints per image.
struct FetchResult: Encodable {
    var name: String
    var url: String
    var base: ResolvedBase
}

/// What `base bootstrap --json` prints.
struct BootstrapResult: Encodable {
    var suite: String
    var path: String
    var cachedPath: String
    var identity: String
    var wasCached: Bool
    /// The newest `Date:` of the suite's, updates' and security archives' InRelease files.
    var archiveDate: String?
}

extension Architecture {
    /// `--arch`'s parser (one architecture).
    /// - Parameter text: The option's value.
    /// - Returns: The architecture.
    /// - Throws: `ValidationError` naming the known ones.
    static func parseOption(_ text: String) throws -> Architecture {
        guard let architecture = Architecture(rawValue: text) else {
            throw ValidationError("--arch \(text): expected one of \(Architecture.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return architecture
    }
}
