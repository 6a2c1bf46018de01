// swift-tools-version:6.0
// labforge: Swift recipes → customized qcow2 → KubeVirt containerDisk → registry, manifests, catalog.
import PackageDescription

/// System libraries are found with pkg-config; `make deps` installs their Debian packages.
let systemLibraries: [Target] = [
    .systemLibrary(name: "CGuestfs", pkgConfig: "libguestfs", providers: [.apt(["libguestfs-dev"])]),
    .systemLibrary(name: "CArchive", pkgConfig: "libarchive", providers: [.apt(["libarchive-dev"])]),
    .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
    .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
    // Whole-buffer DEFLATE for the parallel gzip of containerDisk layers.
    .systemLibrary(name: "CDeflate", pkgConfig: "libdeflate", providers: [.apt(["libdeflate-dev"])]),
    .systemLibrary(name: "CLinux"),
    // libcrypto's single DES for RFB's VNC authentication in the verification probes.
    .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
]

let log: Target.Dependency = .product(name: "Logging", package: "swift-log")
let crypto: Target.Dependency = .product(name: "Crypto", package: "swift-crypto")
let httpClient: Target.Dependency = .product(name: "AsyncHTTPClient", package: "async-http-client")
let yams: Target.Dependency = .product(name: "Yams", package: "Yams")
let argumentParser: Target.Dependency = .product(name: "ArgumentParser", package: "swift-argument-parser")
// Registry streams blob bodies as NIO ByteBuffers read on NIO's thread pool (AsyncHTTPClient's own dependency).
let nio: [Target.Dependency] = ["NIOCore", "NIOPosix", "NIOHTTP1"].map { .product(name: $0, package: "swift-nio") }

let package = Package(
    name: "labforge",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "labforge", targets: ["labforge"]),
        // Static, so `make install` ships libLabforgeRecipe.a for recipe files compiled outside this tree (docs/recipes-repository.md).
        .library(name: "LabforgeRecipe", type: .static, targets: ["LabforgeRecipe"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.25.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.5.0"),
    ],
    targets: systemLibraries + [
        // Progress events and their renderers (live bar, plain lines, JSON lines).
        .target(name: "Reporting"),
        // The one way to replace a file: written whole under a hidden temporary name beside it, fsynced, renamed.
        .target(name: "AtomicFile", dependencies: ["CLinux"]),
        // SOURCE_DATE_EPOCH, read once per process and checked by one rule.
        .target(name: "SourceDate"),
        // The one way to run a host program: process groups, timeouts, streamed output, teardown on cancellation.
        .target(name: "ProcessRunner", dependencies: [
            .product(name: "Subprocess", package: "swift-subprocess"), .product(name: "SystemPackage", package: "swift-system"),
        ]),
        // KVM or TCG: the bounded KVM probe and the one accelerator decision of a process.
        .target(name: "Hypervisor", dependencies: ["AtomicFile", "CLinux", "ProcessRunner", log]),
        // The only code touching the libguestfs C API.
        .target(name: "Guestfs", dependencies: ["CGuestfs", "Hypervisor", "ProcessRunner", log]),
        // The only code touching libarchive, zlib, libdeflate and libzstd: pax streams, compressors, ISO9660.
        .target(name: "Archive", dependencies: ["AtomicFile", "CArchive", "CDeflate", "CZlib", "CZstd"]),
        // Disk image facts and conversions through qemu-img, and who may read disk and cache files.
        .target(name: "DiskImage", dependencies: ["ProcessRunner"]),
        // The engine identity: digests of labforge's customization and packaging sources, generated at build time
        // (Plugins/EngineIdentityPlugin) and part of every cache key.
        .target(name: "EngineIdentity", plugins: ["EngineIdentityPlugin"]),
        .plugin(name: "EngineIdentityPlugin", capability: .buildTool()),
        // The one rule for each kind of name (image version/tag, DNS label) that becomes a path or YAML.
        .target(name: "Naming"),
        // OCI spec types, digests, image layouts and the containerDisk packer.
        .target(name: "OCI", dependencies: ["Archive", "AtomicFile", "DiskImage", "Naming", "Reporting", "SourceDate", crypto]),
        // OCI distribution client: auth, blob uploads, manifests.
        .target(name: "Registry", dependencies: ["OCI", "ProcessRunner", "Reporting", httpClient, log] + nio),
        // The recipe DSL: pure values, no I/O.
        .target(name: "LabforgeRecipe", dependencies: ["Naming"]),
        // Base images: pinned downloads, cache, Debian bootstrap.
        .target(name: "Bases", dependencies: [
            "AtomicFile", "DiskImage", "LabforgeRecipe", "ProcessRunner", "Reporting", "SourceDate", crypto, httpClient, log,
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        // Runs a recipe's steps in one libguestfs appliance.
        .target(name: "Customize", dependencies: ["AtomicFile", "Bases", "Guestfs", "DiskImage", "EngineIdentity", "LabforgeRecipe", "ProcessRunner", "Reporting", "SBOM", crypto, log]),
        // Kubernetes manifests from an image and its recipe.
        .target(name: "Kube", dependencies: ["AtomicFile", "OCI", "LabforgeRecipe", "Naming", yams]),
        // `labforge class`: roster, credentials, per-student objects and isolation, built on Kube's per-image pieces.
        .target(name: "Classroom", dependencies: ["Kube"]),
        // The portal catalog: JSON with its schema, and a static HTML page.
        .target(name: "Catalog", dependencies: ["Kube", "LabforgeRecipe", "Naming", "OCI"]),
        // Boots a built image under QEMU and probes its agents (ttyd, noVNC, SSH, guest agent).
        .target(name: "Verify", dependencies: ["Archive", "AtomicFile", "CLinux", "COpenSSL", "OCI", "DiskImage", "Hypervisor", "LabforgeRecipe", "ProcessRunner", "Reporting", log, .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOWebSocket", package: "swift-nio")]),
        // Software bills of materials read from a finished disk: SPDX 2.3 / CycloneDX 1.6 JSON, package diffs.
        .target(name: "SBOM", dependencies: ["Guestfs", "LabforgeRecipe", "SourceDate", crypto]),
        // cosign-compatible signatures of pushed manifests (ECDSA P-256, simple signing, `sha256-<hex>.sig`).
        .target(name: "Signing", dependencies: ["OCI", "Registry", crypto]),
        // `labforge build`: every stage of every image, incremental, parallel, with a catalog at the end.
        .target(name: "Pipeline", dependencies: [
            "AtomicFile", "Reporting", "Guestfs", "DiskImage", "EngineIdentity", "Naming", "OCI", "Registry", "LabforgeRecipe", "Bases", "Customize", "Kube", "Catalog", "Verify", "SBOM", "Signing", "SourceDate", crypto, log,
        ]),
        // A lab team's recipes folder: found, compiled against LabforgeRecipe (cached by content), run, validated; `labforge init`.
        .target(name: "RecipeRepository", dependencies: ["AtomicFile", "LabforgeRecipe", "Bases", "DiskImage", "ProcessRunner", "Reporting", crypto]),
        // The shipped recipes as a Swift module for the tests; the CLI loads the same files through RecipeRepository.
        .target(name: "Recipes", dependencies: ["LabforgeRecipe"], path: "recipes"),
        // The CLI: parse, call, print.
        .executableTarget(
            name: "labforge",
            dependencies: [
                "Reporting", "ProcessRunner", "Hypervisor", "DiskImage", "OCI", "Registry", "LabforgeRecipe", "Bases",
                "Customize", "Kube", "Classroom", "Catalog", "Verify", "Pipeline", "RecipeRepository", "SBOM", "Signing", "SourceDate", argumentParser, log,
            ]
        ),

        // Shared by the tests: temp dirs, subprocesses, fixtures (disks, registry).
        .target(name: "TestSupport", dependencies: ["OCI", "Bases", "Customize", "DiskImage", "Guestfs", "LabforgeRecipe", "ProcessRunner", "Recipes", "Reporting", crypto], path: "Tests/TestSupport"),
        .testTarget(name: "ReportingTests", dependencies: ["Reporting"]),
        .testTarget(name: "AtomicFileTests", dependencies: ["AtomicFile", "TestSupport"]),
        // Also runs the labforge binary: a malformed SOURCE_DATE_EPOCH is refused when it starts.
        .testTarget(name: "SourceDateTests", dependencies: ["SourceDate", "TestSupport"]),
        .testTarget(name: "ProcessRunnerTests", dependencies: ["ProcessRunner", "TestSupport"]),
        // Launches children for ProcessRunnerTests and is killed or interrupted from outside (found next to the tests).
        .executableTarget(name: "labforge-launch-helper", dependencies: ["ProcessRunner"], path: "Tests/LaunchHelper"),
        // SIGINT/SIGTERM sent to a real `labforge build` in each stage, and to `labforge base bootstrap` in each phase.
        .testTarget(name: "InterruptionTests", dependencies: ["Bases", "ProcessRunner", "Reporting", "TestSupport"]),
        .testTarget(name: "GuestfsTests", dependencies: ["Guestfs", "Hypervisor", "TestSupport"]),
        .testTarget(name: "HypervisorTests", dependencies: ["Hypervisor", "TestSupport", log]),
        .testTarget(name: "ArchiveTests", dependencies: ["Archive", "TestSupport"]),
        .testTarget(name: "OCITests", dependencies: ["OCI", "DiskImage", "TestSupport"]),
        // Fixtures/ holds Python fixture servers, found by path at run time.
        .testTarget(name: "RegistryTests", dependencies: ["Registry", "OCI", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "LabforgeRecipeTests", dependencies: ["LabforgeRecipe", "Recipes", "TestSupport"]),
        .testTarget(name: "NamingTests", dependencies: ["Naming"]),
        .testTarget(name: "DocsTests", dependencies: ["labforge", argumentParser]),
        .testTarget(name: "BasesTests", dependencies: ["Bases", "DiskImage", "Guestfs", "LabforgeRecipe", "TestSupport", crypto]),
        .testTarget(name: "CustomizeTests", dependencies: ["Customize", "DiskImage", "EngineIdentity", "Recipes", "Guestfs", "LabforgeRecipe", "Reporting", "TestSupport", crypto]),
        // Fixtures/ holds the upstream schemas the manifests are validated against, read by path.
        .testTarget(name: "KubeTests", dependencies: ["Kube", "KubeTestSupport", "LabforgeRecipe", "OCI", "Recipes", "TestSupport"], exclude: ["Fixtures"]),
        // Shared by KubeTests and ClassroomTests: sample images, the schema validator (reads KubeTests/Fixtures by path), the Gateway model.
        .target(name: "KubeTestSupport", dependencies: ["Kube", "OCI", "TestSupport"], path: "Tests/KubeTestSupport"),
        .testTarget(name: "ClassroomTests", dependencies: ["Classroom", "Kube", "KubeTestSupport", "LabforgeRecipe", "TestSupport"]),
        .testTarget(name: "CatalogTests", dependencies: ["Catalog", "Archive", "Kube", "LabforgeRecipe", "OCI", "TestSupport"]),
        .testTarget(name: "VerifyTests", dependencies: ["Verify", "Archive", "DiskImage", "OCI", "Hypervisor", "LabforgeRecipe", "ProcessRunner", "Recipes", "Reporting", "TestSupport", crypto, log], exclude: ["Fixtures"]),
        // Fixtures/ holds the official SPDX 2.3 and CycloneDX 1.6 JSON schemas and their validator.
        .testTarget(name: "SBOMTests", dependencies: ["SBOM", "TestSupport", crypto], exclude: ["Fixtures"]),
        .testTarget(name: "SigningTests", dependencies: ["Signing", "Registry", "OCI", "TestSupport"]),
        .testTarget(name: "RecipeRepositoryTests", dependencies: ["RecipeRepository", "LabforgeRecipe", "Recipes", "TestSupport"]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "AtomicFile", "Customize", "SBOM", "Signing", "DiskImage", "Recipes", "LabforgeRecipe", "Bases", "Kube", "Verify", "Reporting", "TestSupport", log]),
    ],
    swiftLanguageModes: [.v6]
)
