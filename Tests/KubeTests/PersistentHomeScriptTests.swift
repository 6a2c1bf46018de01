// The guest half of the persistent-home variant, run for real on this host: `lab-home` against file-backed disks
// (mount(8) attaches a loop device itself), then the unit's ordering and the recipe component's steps.
import Foundation
import LabforgeRecipe
import Testing
import TestSupport

/// Whether this host can run the script for real: root, loop devices, e2fsprogs and util-linux.
private let canMountLoopFiles =
    getuid() == 0 && FileManager.default.fileExists(atPath: "/dev/loop-control")
    && ["/usr/sbin/mkfs.ext4", "/usr/sbin/blkid", "/usr/bin/mountpoint"].allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }

@Suite("PersistentHome: lab-home on file-backed disks")
struct PersistentHomeScriptTests {
    /// A scratch folder with the script, an image `/home` holding the lab user's file, and helpers that always unmount.
    final class Scratch: Sendable {
        let directory: TemporaryDirectory
        let script: String
        let home: String

        init() throws {
            directory = try TemporaryDirectory(prefix: "labforge-lab-home")
            script = directory.appending("lab-home")
            home = directory.appending("home")
            try PersistentHome.script.write(toFile: script, atomically: true, encoding: .utf8)
            try FileManager.default.createDirectory(atPath: home + "/student", withIntermediateDirectories: true)
            try "as built\n".write(toFile: home + "/student/notes.txt", atomically: true, encoding: .utf8)
        }

        /// A sparse file of `mebibytes`, blank.
        func disk(_ name: String, mebibytes: UInt64 = 64) throws -> String {
            let path = directory.appending(name)
            #expect(FileManager.default.createFile(atPath: path, contents: nil))
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            try handle.truncate(atOffset: mebibytes << 20)
            try handle.close()
            return path
        }

        func run(_ disk: String) async throws -> CommandResult { try await Command.run(["sh", script, disk, home]) }
        func isMounted() async throws -> Bool { try await Command.run(["mountpoint", "-q", home]).status == 0 }
        func label(_ disk: String) async throws -> String {
            try await Command.run(["blkid", "-s", "LABEL", "-o", "value", disk]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        func unmount() async throws {
            if try await isMounted() { try await Command.check(["umount", home]) }
        }
    }

    @Test(
        "a blank disk is formatted ext4 lab-home, filled with /home once and mounted; the next boot keeps what was written; a disk with a file system is never formatted; no disk, nothing happens",
        .enabled(if: canMountLoopFiles, "needs root, /dev/loop-control, mkfs.ext4 and blkid"))
    func realDisks() async throws {
        let scratch = try Scratch()
        do {
            let disk = try scratch.disk("home.img")
            let first = try await scratch.run(disk)
            #expect(first.status == 0, "\(first.stderr)")
            #expect(first.stdout.contains("is blank: formatting it ext4"))
            #expect(try await scratch.isMounted())
            #expect(try await scratch.label(disk) == PersistentHome.diskSerial)
            #expect(FileManager.default.fileExists(atPath: scratch.home + "/" + PersistentHome.initializedMarker))
            #expect(try String(contentsOfFile: scratch.home + "/student/notes.txt", encoding: .utf8) == "as built\n")
            try "the student's work\n".write(toFile: scratch.home + "/student/work.txt", atomically: true, encoding: .utf8)
            try await scratch.unmount()
            #expect(!FileManager.default.fileExists(atPath: scratch.home + "/student/work.txt"))  // it lives on the disk

            // Next boot (a fresh system disk, the same home disk): not formatted, not copied again, the work is there.
            let second = try await scratch.run(disk)
            #expect(second.status == 0, "\(second.stderr)")
            #expect(!second.stdout.contains("formatting") && !second.stdout.contains("first use"))
            #expect(try String(contentsOfFile: scratch.home + "/student/work.txt", encoding: .utf8) == "the student's work\n")
            try await scratch.unmount()

            // A disk that already holds a file system of another label is used as it is, never formatted.
            let foreign = try scratch.disk("foreign.img", mebibytes: 32)
            try await Command.check(["mkfs.ext4", "-q", "-L", "keep", foreign])
            let third = try await scratch.run(foreign)
            #expect(third.status == 0, "\(third.stderr)")
            #expect(!third.stdout.contains("formatting"))
            #expect(try await scratch.label(foreign) == "keep")
            try await scratch.unmount()

            // No disk given and none with the serial in sysfs (this host), or a path that does not exist: nothing mounted.
            for missing in ["", scratch.directory.appending("absent.img")] {
                let none = try await scratch.run(missing)
                #expect(none.status == 0 && none.stdout.contains("no disk with serial lab-home"), "\(none.stdout)\(none.stderr)")
                #expect(try await !scratch.isMounted())
            }
        } catch {
            try await scratch.unmount()
            throw error
        }
        try await scratch.unmount()
    }

    @Test("the unit runs early: no default dependencies, after local-fs, before cloud-init, logins and every agent; the component installs e2fsprogs, the script and the unit")
    func unitAndSteps() throws {
        let text = PersistentHome.unit.text
        #expect(text.contains("DefaultDependencies=no") && text.contains("After=local-fs.target") && text.contains("WantedBy=sysinit.target"))
        let before = try #require(text.split(separator: "\n").first { $0.hasPrefix("Before=") }).split(separator: "=")[1].split(separator: " ").map(String.init)
        for unit in ["cloud-init.service", "systemd-user-sessions.service", WebTerminal.unitName, WebDesktop.unitNames.vnc, WebDesktop.unitNames.novnc] {
            #expect(before.contains(unit), "\(unit) is not after lab-home: \(before)")
        }
        let steps = PersistentHome().steps
        #expect(steps.contains(.install([PackageRequest("e2fsprogs")])))
        #expect(steps.contains(.writeFile(path: PersistentHome.scriptPath, contents: PersistentHome.script, mode: 0o755, owner: .root)))
        #expect(steps.contains(.unit(name: PersistentHome.unitName, action: .enable)))
        let recipe = Recipe(name: "home-lab") {
            CloudInit()
            PersistentHome()
        }
        #expect(throws: Never.self) { try recipe.validate() }
    }
}
