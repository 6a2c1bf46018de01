// `labforge package`: a qcow2/raw disk → a KubeVirt containerDisk OCI image layout.
import ArgumentParser
import Foundation
import LabforgeRecipe
import OCI
import Reporting

struct PackageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "package",
        abstract: "Package a qcow2 or raw disk as a KubeVirt containerDisk (OCI image layout).",
        discussion: """
            Checks the disk first (readable, qcow2 or raw, no backing file, not encrypted) and the name and tag \
            (OCI distribution grammar); a refusal writes nothing. The layout holds one manifest, one config and \
            one pax layer with disk/ (0555) and disk/disk.img (0444), both owned by 107:107 (qemu). Times come from \
            SOURCE_DATE_EPOCH (default 0), so the same disk and options give byte-identical layouts.
            """
    )

    @Argument(help: "The disk image file (qcow2 or raw).")
    var disk: String

    @Option(name: .shortAndLong, help: "The OCI image layout directory to write.")
    var output: String

    @Option(help: "Repository name, e.g. labs/debian-desktop.")
    var name: String

    @Option(help: "Tag recorded in index.json (org.opencontainers.image.ref.name).")
    var tag: String

    @Option(help: "Layer compression: gzip (widest compatibility), zstd (fastest), none.")
    var compression: LayerCompression = .gzip

    @Option(name: .customLong("annotation"), help: ArgumentHelp("Manifest annotation key=value (repeatable).", valueName: "key=value"))
    var annotations: [String] = []

    @Option(help: "Default instancetype for VMs from this image (CDI labels the imported PVC with it).")
    var instancetype: String?

    @Option(help: "Default preference for VMs from this image.")
    var preference: String?

    @Option(help: ArgumentHelp(
        "Firmwares the disk boots under, recorded as the dev.labforge.firmware label (labforge manifests reads it).",
        valueName: "uefi-secure-boot,uefi,bios"))
    var firmware: String?

    @Option(help: ArgumentHelp(
        "The disk's architecture in OCI (GOARCH) names, written in the config and the index entry; never taken from the host.",
        valueName: "amd64|arm64"))
    var arch: String = "amd64"

    @Flag(help: "Replace an existing layout at --output.")
    var force = false

    @Flag(help: "Accept a disk with neither a partition table nor a file system (a blank data disk is meant).")
    var allowBlank = false

    @Flag(help: "Print the result as JSON on stdout; progress as JSON lines on stderr.")
    var json = false

    func validate() throws {
        if let kernelName = Architecture(machine: arch) {
            throw ValidationError("--arch \(arch): that is the kernel's name; OCI names it \(kernelName.rawValue)")
        }
        if let firmware, Firmware.list(firmware) == nil {
            throw ValidationError("--firmware \(firmware): expected a comma-separated list of \(Firmware.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() throws {
        var parsedAnnotations: [String: String] = [:]
        for annotation in annotations {
            guard let equals = annotation.firstIndex(of: "="), equals != annotation.startIndex else {
                throw ContainerDiskError.invalidAnnotation(annotation)
            }
            parsedAnnotations[String(annotation[..<equals])] = String(annotation[annotation.index(after: equals)...])
        }
        let options = ContainerDiskOptions(
            name: try RepositoryName(name), tag: try Tag(tag), compression: compression, annotations: parsedAnnotations,
            instancetype: instancetype, preference: preference, firmware: (firmware.flatMap(Firmware.list) ?? []).map(\.rawValue),
            architecture: arch, force: force, allowBlank: allowBlank
        )
        let reporter = StreamProgressReporter(style: .automatic(json: json))
        let result = try ContainerDiskPacker(progress: reporter).package(disk: disk, into: output, options: options)
        if json {
            print(String(decoding: try CanonicalJSON.encode(result), as: UTF8.self))
            return
        }
        let ratio = result.uncompressedSize > 0 ? Double(result.layerSize) / Double(result.uncompressedSize) * 100 : 100
        let rate = Double(result.diskSize) / max(result.seconds, 0.001) / 1_000_000
        print("""
            packaged \(disk) → \(result.layout)
              manifest  \(result.manifestDigest)
              layer     \(result.layerDigest)  \(ByteCount.format(result.layerSize)) (\(result.compression.rawValue), \(String(format: "%.1f", ratio))% of \(ByteCount.format(result.uncompressedSize)))
              disk      \(result.diskFormat), \(ByteCount.format(result.diskSize)) file, \(ByteCount.format(result.virtualSize)) virtual
              time      \(String(format: "%.1f", result.seconds)) s, \(String(format: "%.0f", rate)) MB/s
            """)
    }
}

extension LayerCompression: ExpressibleByArgument {}
