// The atomic writer: a file is replaced whole or not at all, with the mode asked for, through a hidden temp beside it.
import AtomicFile
import Foundation
import Testing
import TestSupport

@Suite("AtomicFile")
struct AtomicFileTests {
    private func mode(_ path: String) -> mode_t {
        var info = stat()
        guard stat(path, &info) == 0 else { return 0 }
        return info.st_mode & 0o7777
    }

    /// A fresh directory and the path of `name` in it.
    private func scratch(_ name: String) throws -> (TemporaryDirectory, String) {
        let dir = try TemporaryDirectory()
        return (dir, dir.appending(name))
    }

    /// Expects `target` to hold `content` and to be all there is in `dir` (no temporary file left beside it).
    private func expectOnly(_ target: String, holding content: String, in dir: TemporaryDirectory) throws {
        #expect(FileManager.default.contents(atPath: target) == Data(content.utf8))
        #expect(try names(dir.path) == [URL(fileURLWithPath: target).lastPathComponent])
    }

    private func names(_ directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
    }

    private struct Interrupted: Error {}

    @Test("write replaces the content whole and leaves only the target in the directory")
    func replacesWhole() throws {
        let (dir, target) = try scratch("report.json")
        try AtomicFile.write(Data(repeating: 0x61, count: 1 << 20), to: target)
        try AtomicFile.write(Data("new".utf8), to: target)
        try expectOnly(target, holding: "new", in: dir)
    }

    @Test("a fill that fails half-way leaves the old file as it was and no temporary file")
    func failedFillKeepsOld() throws {
        let (dir, target) = try scratch("disk.qcow2")
        try AtomicFile.write(Data("old".utf8), to: target)
        #expect(throws: Interrupted.self) {
            try AtomicFile.replace(target) { temporary in
                try Data(repeating: 0x62, count: 4096).write(to: URL(fileURLWithPath: temporary))
                throw Interrupted()
            }
        }
        try expectOnly(target, holding: "old", in: dir)
    }

    @Test("an async fill that is cancelled removes its temporary tree and leaves the old file")
    func cancelledAsyncFill() async throws {
        let (dir, target) = try scratch("layout")
        try AtomicFile.write(Data("old".utf8), to: target)
        await #expect(throws: CancellationError.self) {
            try await AtomicFile.replace(target) { temporary in
                try FileManager.default.createDirectory(atPath: temporary + "/blobs/sha256", withIntermediateDirectories: true)
                try Data("blob".utf8).write(to: URL(fileURLWithPath: temporary + "/blobs/sha256/x"))
                await Task.yield()  // an awaiting fill: the async overload
                throw CancellationError()
            }
        }
        try expectOnly(target, holding: "old", in: dir)
    }

    @Test("a rename that the file system refuses leaves the target and no temporary file, and the error names the target")
    func refusedRename() throws {
        // A non-empty directory where the file should go: rename(2) cannot replace it.
        let (dir, target) = try scratch("verify.json")
        try FileManager.default.createDirectory(atPath: target + "/kept", withIntermediateDirectories: true)
        do {
            try AtomicFile.write(Data("{}".utf8), to: target)
            Issue.record("the write over a directory succeeded")
        } catch {
            guard case .writeFailed(let path, let step, let temporary, _) = error else { return }
            #expect(path == target)
            #expect(step == "rename")
            #expect(URL(fileURLWithPath: temporary).deletingLastPathComponent().path == dir.path)
            #expect(error.description.hasPrefix("cannot write \(target): rename of "))
        }
        #expect(try names(dir.path) == ["verify.json"])
        #expect(try names(target) == ["kept"])
    }

    @Test("the mode asked for is the file's mode, 0600 for a secret, 0644 by default, 0640 set on a filled file")
    func modes() throws {
        let dir = try TemporaryDirectory()
        try AtomicFile.write(Data("token".utf8), to: dir.appending("secret"), mode: 0o600)
        #expect(mode(dir.appending("secret")) == 0o600)
        // Replacing a 0600 file with a default write gives 0644: the new file's mode is the one asked for.
        try AtomicFile.write(Data("public".utf8), to: dir.appending("secret"))
        #expect(mode(dir.appending("secret")) == 0o644)
        try AtomicFile.replace(dir.appending("disk"), mode: 0o640) { temporary in
            #expect(FileManager.default.createFile(atPath: temporary, contents: Data("x".utf8), attributes: [.posixPermissions: 0o666]))
        }
        #expect(mode(dir.appending("disk")) == 0o640)
    }

    @Test("the temporary file is hidden, in the target's directory, unique, and the target is untouched until the rename")
    func temporaryBeside() throws {
        let (dir, target) = try scratch("catalog.json")
        try AtomicFile.write(Data("old".utf8), to: target)
        let seen = try AtomicFile.replace(target) { temporary in
            try Data("new".utf8).write(to: URL(fileURLWithPath: temporary))
            #expect(FileManager.default.contents(atPath: target) == Data("old".utf8))
            return temporary
        }
        let url = URL(fileURLWithPath: seen)
        #expect(url.deletingLastPathComponent().path == dir.path)
        #expect(url.lastPathComponent.hasPrefix(".catalog.json."))
        #expect(AtomicFile.isTemporaryName(url.lastPathComponent))
        #expect(!AtomicFile.isTemporaryName("catalog.json"))
        #expect(!AtomicFile.isTemporaryName(".catalog.json.partial"))
        #expect(AtomicFile.temporaryPath(for: target) != AtomicFile.temporaryPath(for: target))
        try expectOnly(target, holding: "new", in: dir)
    }

    @Test("a tree replaces a non-empty directory only when asked to (swapped in one step, the old tree removed)")
    func directoryReplacement() throws {
        let (dir, target) = try scratch("layout")
        try FileManager.default.createDirectory(atPath: target + "/blobs", withIntermediateDirectories: true)
        try Data("old".utf8).write(to: URL(fileURLWithPath: target + "/index.json"))
        let fill = { (temporary: String) throws in
            try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: false)
            try Data("new".utf8).write(to: URL(fileURLWithPath: temporary + "/index.json"))
        }
        #expect(throws: AtomicFileError.self) { try AtomicFile.replace(target, fill: fill) }
        #expect(FileManager.default.contents(atPath: target + "/index.json") == Data("old".utf8))
        #expect(try names(dir.path) == ["layout"])
        try AtomicFile.replace(target, replacingDirectory: true, fill: fill)
        #expect(try names(target) == ["index.json"])
        #expect(FileManager.default.contents(atPath: target + "/index.json") == Data("new".utf8))
        #expect(try names(dir.path) == ["layout"])
    }

    @Test("a fill that makes nothing is refused naming the target; nothing is renamed")
    func emptyFill() throws {
        let dir = try TemporaryDirectory()
        #expect(throws: AtomicFileError.self) { try AtomicFile.replace(dir.appending("out")) { _ in } }
        #expect(try names(dir.path).isEmpty)
    }
}
