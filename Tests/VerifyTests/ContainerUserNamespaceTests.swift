// `verify --image` runs the container in a user namespace: its processes are shifted host ids, not root's; the test
// credentials never appear on a command line; the Secret is still readable by the image's user.
import Foundation
import OCI
import Testing
import TestSupport
import Verify

@Suite("verify --image: user namespace and credentials", .serialized)
struct ContainerUserNamespaceTests {
    /// The host uid the image's user 1000 must run as (`ContainerIDMap.base` + 1000, documented in docs/pod-labs.md).
    static let shiftedUser = 0x6FFF_0000 + 1000

    /// A tiny image of the host's dash, sleep and env (and the libraries ldd names), written by labforge's packer.
    /// Its entrypoint reports whether it reads the Secret, then waits on a `sleep` whose argument is `marker`.
    static func image(marker: String, in directory: TemporaryDirectory) async throws -> String {
        let tree = directory.appending("tree")
        var files: Set<String> = ["/bin/sh", "/bin/sleep", "/usr/bin/env"]
        for binary in files {
            let ldd = try await Command.check(["ldd", binary]).stdout
            for token in ldd.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }) where token.hasPrefix("/") { files.insert(String(token)) }
        }
        for file in files {
            let target = tree + file
            try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try await Command.check(["cp", "-L", file, target])
        }
        let script = """
            trap 'exit 0' TERM
            if read -r credential < /run/labforge/credentials/terminal-credential; then echo "credential readable by $(id -u 2>/dev/null || echo user): ${credential%%:*}"; fi
            /bin/sleep \(marker) &
            wait
            """
        let layout = directory.appending("oci")
        _ = try ContainerImagePacker().package(tree: tree, into: layout, options: ContainerImageOptions(
            name: try RepositoryName("labs/userns-pod"), tag: try Tag("1.0"), user: "1000:1000", exposedPorts: [7681],
            environment: ["PATH=/usr/bin:/bin"], workingDirectory: "/", entrypoint: ["/bin/sh", "-c", script],
            annotations: [ImageVerifier.probesLabel: "web-terminal:7681/ws"]))
        return layout
    }

    /// What the host's /proc showed while the container ran.
    struct Sightings: Sendable {
        /// `Uid:` and `Gid:` lines of the container's `sleep`.
        var ids: Set<String> = []
        /// The `sleep`'s user namespace map, as /proc shows it from the host (`0 <base> 65536`: root is the base).
        var uidMap: Set<String> = []
        /// Whether the `sleep`'s environment held the terminal credential (it reached the container).
        var environmentHasCredential = false
        /// Command lines holding a credential variable.
        var commandLinesWithCredential: [String] = []
    }

    /// Reads every process's command line (and the marked `sleep`'s status and environment) until cancelled.
    static func watch(marker: String) async -> Sightings {
        var seen = Sightings()
        let variables = ["LAB_TERMINAL_CREDENTIAL=", "LAB_DESKTOP_PASSWORD="]
        while !Task.isCancelled {
            for pid in (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.filter({ $0.allSatisfy(\.isNumber) }) ?? [] {
                guard let raw = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { continue }
                let commandLine = String(decoding: raw.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
                if variables.contains(where: commandLine.contains) { seen.commandLinesWithCredential.append("\(pid): \(commandLine)") }
                guard commandLine.hasPrefix("/bin/sleep \(marker)") else { continue }
                let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
                for line in status.split(separator: "\n") where line.hasPrefix("Uid:") || line.hasPrefix("Gid:") { seen.ids.insert(String(line)) }
                let map = (try? String(contentsOfFile: "/proc/\(pid)/uid_map", encoding: .utf8)) ?? ""
                seen.uidMap.insert(map.split(whereSeparator: \.isWhitespace).joined(separator: " "))
                let environment = FileManager.default.contents(atPath: "/proc/\(pid)/environ").map { String(decoding: $0, as: UTF8.self) } ?? ""
                if environment.contains("LAB_TERMINAL_CREDENTIAL=student:") { seen.environmentHasCredential = true }
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return seen
    }

    static func run(_ credentials: ContainerCredentialSource, in directory: TemporaryDirectory) async throws -> (Sightings, VerificationReport, String) {
        let marker = "7777.\(Int.random(in: 100...999))"
        let layout = try await image(marker: marker, in: directory)
        let log = directory.appending("build.log")
        let watcher = Task.detached { await watch(marker: marker) }
        let report = try await ImageVerifier().verify(
            layout: layout, plan: ProbePlan(targets: [.webTerminal(port: 7681, path: "ws")]),
            options: ImageVerifyOptions(probeTimeout: 4, credentials: credentials, checkFailClosed: false, consoleLog: log))
        watcher.cancel()
        return (await watcher.value, report, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }

    @Test("the container's processes are host uid/gid base+1000, not root's; the Secret (root:gid 0440 after the shift) is readable by the image's user; SIGTERM still ends it")
    func shiftedIdentity() async throws {
        let directory = try TemporaryDirectory(prefix: "labforge-userns")
        let (seen, report, log) = try await Self.run(.secret, in: directory)
        #expect(seen.ids == ["Uid:\t\(Self.shiftedUser)\t\(Self.shiftedUser)\t\(Self.shiftedUser)\t\(Self.shiftedUser)", "Gid:\t\(Self.shiftedUser)\t\(Self.shiftedUser)\t\(Self.shiftedUser)\t\(Self.shiftedUser)"], "\(seen.ids)\n\(log)")
        #expect(seen.uidMap == ["0 \(0x6FFF_0000) 65536"], "the container's root is host uid \(0x6FFF_0000), not 0: \(seen.uidMap)")
        #expect(log.contains("credential readable by 1000: student") || log.contains("credential readable by user: student"), "\(log)")
        #expect(report.results.first { $0.probe == "sigterm" }?.passed == true, "\(report.results)")
    }

    @Test("with --credentials environment no process's command line holds a credential, and the entrypoint's environment has it")
    func noCredentialOnCommandLine() async throws {
        let directory = try TemporaryDirectory(prefix: "labforge-userns")
        let (seen, _, log) = try await Self.run(.environment, in: directory)
        #expect(!seen.ids.isEmpty, "the container's sleep was never seen\n\(log)")
        #expect(seen.commandLinesWithCredential.isEmpty, "\(seen.commandLinesWithCredential)")
        #expect(seen.environmentHasCredential, "\(log)")
    }
}
