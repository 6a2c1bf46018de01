// The atomic writer: a file is replaced whole or not at all, with the mode asked for, through a hidden temp beside it.
import AtomicFile
import Foundation
import Testing

@Suite("AtomicFile")
struct AtomicFileTests {
    /// A fresh directory under the system temp directory, removed by the caller.
    private func directory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("atomicfile-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        return path
    }

    private func mode(_ path: String) -> mode_t {
        var info = stat()
        guard stat(path, &info) == 0 else { return 0 }
        return info.st_mode & 0o7777
    }

    private func names(_ directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
    }

    private struct Interrupted: Error {}

    @Test("write replaces the content whole and leaves only the target in the directory")
    func replacesWhole() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let target = dir + "/report.json"
        try AtomicFile.write(Data(repeating: 0x61, count: 1 << 20), to: target)
        try AtomicFile.write(Data("new".utf8), to: target)
        #expect(FileManager.default.contents(atPath: target) == Data("new".utf8))
        #expect(try names(dir) == ["report.json"])
    }

    @Test("a fill that fails half-way leaves the old file as it was and no temporary file")
    func failedFillKeepsOld() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let target = dir + "/disk.qcow2"
        try AtomicFile.write(Data("old".utf8), to: target)
        #expect(throws: Interrupted.self) {
            try AtomicFile.replace(target) { temporary in
                try Data(repeating: 0x62, count: 4096).write(to: URL(fileURLWithPath: temporary))
                throw Interrupted()
            }
        }
        #expect(FileManager.default.contents(atPath: target) == Data("old".utf8))
        #expect(try names(dir) == ["disk.qcow2"])
    }

    @Test("an async fill that is cancelled removes its temporary tree and leaves the old file")
    func cancelledAsyncFill() async throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let target = dir + "/layout"
        try AtomicFile.write(Data("old".utf8), to: target)
        await #expect(throws: CancellationError.self) {
            try await AtomicFile.replace(target) { temporary in
                try FileManager.default.createDirectory(atPath: temporary + "/blobs/sha256", withIntermediateDirectories: true)
                try Data("blob".utf8).write(to: URL(fileURLWithPath: temporary + "/blobs/sha256/x"))
                await Task.yield()  // an awaiting fill: the async overload
                throw CancellationError()
            }
        }
        #expect(FileManager.default.contents(atPath: target) == Data("old".utf8))
        #expect(try names(dir) == ["layout"])
    }

    @Test("a rename that the file system refuses leaves the target and no temporary file, and the error names the target")
    func refusedRename() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A non-empty directory where the file should go: rename(2) cannot replace it.
        let target = dir + "/verify.json"
        try FileManager.default.createDirectory(atPath: target + "/kept", withIntermediateDirectories: true)
        do {
            try AtomicFile.write(Data("{}".utf8), to: target)
            Issue.record("the write over a directory succeeded")
        } catch {
            guard case .writeFailed(let path, let step, let temporary, _) = error else { return }
            #expect(path == target)
            #expect(step == "rename")
            #expect(URL(fileURLWithPath: temporary).deletingLastPathComponent().path == dir)
            #expect(error.description.hasPrefix("cannot write \(target): rename of "))
        }
        #expect(try names(dir) == ["verify.json"])
        #expect(try names(target) == ["kept"])
    }

    @Test("the mode asked for is the file's mode, 0600 for a secret, 0644 by default, 0640 set on a filled file")
    func modes() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try AtomicFile.write(Data("token".utf8), to: dir + "/secret", mode: 0o600)
        #expect(mode(dir + "/secret") == 0o600)
        // Replacing a 0600 file with a default write gives 0644: the new file's mode is the one asked for.
        try AtomicFile.write(Data("public".utf8), to: dir + "/secret")
        #expect(mode(dir + "/secret") == 0o644)
        try AtomicFile.replace(dir + "/disk", mode: 0o640) { temporary in
            #expect(FileManager.default.createFile(atPath: temporary, contents: Data("x".utf8), attributes: [.posixPermissions: 0o666]))
        }
        #expect(mode(dir + "/disk") == 0o640)
    }

    @Test("the temporary file is hidden, in the target's directory, unique, and the target is untouched until the rename")
    func temporaryBeside() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let target = dir + "/catalog.json"
        try AtomicFile.write(Data("old".utf8), to: target)
        let seen = try AtomicFile.replace(target) { temporary in
            try Data("new".utf8).write(to: URL(fileURLWithPath: temporary))
            #expect(FileManager.default.contents(atPath: target) == Data("old".utf8))
            return temporary
        }
        let url = URL(fileURLWithPath: seen)
        #expect(url.deletingLastPathComponent().path == dir)
        #expect(url.lastPathComponent.hasPrefix(".catalog.json."))
        #expect(AtomicFile.isTemporaryName(url.lastPathComponent))
        #expect(!AtomicFile.isTemporaryName("catalog.json"))
        #expect(!AtomicFile.isTemporaryName(".catalog.json.partial"))
        #expect(AtomicFile.temporaryPath(for: target) != AtomicFile.temporaryPath(for: target))
        #expect(FileManager.default.contents(atPath: target) == Data("new".utf8))
        #expect(try names(dir) == ["catalog.json"])
    }

    @Test("a tree replaces a non-empty directory only when asked to (swapped in one step, the old tree removed)")
    func directoryReplacement() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let target = dir + "/layout"
        try FileManager.default.createDirectory(atPath: target + "/blobs", withIntermediateDirectories: true)
        try Data("old".utf8).write(to: URL(fileURLWithPath: target + "/index.json"))
        let fill = { (temporary: String) throws in
            try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: false)
            try Data("new".utf8).write(to: URL(fileURLWithPath: temporary + "/index.json"))
        }
        #expect(throws: AtomicFileError.self) { try AtomicFile.replace(target, fill: fill) }
        #expect(FileManager.default.contents(atPath: target + "/index.json") == Data("old".utf8))
        #expect(try names(dir) == ["layout"])
        try AtomicFile.replace(target, replacingDirectory: true, fill: fill)
        #expect(try names(target) == ["index.json"])
        #expect(FileManager.default.contents(atPath: target + "/index.json") == Data("new".utf8))
        #expect(try names(dir) == ["layout"])
    }

    @Test("a fill that makes nothing is refused naming the target; nothing is renamed")
    func emptyFill() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(throws: AtomicFileError.self) { try AtomicFile.replace(dir + "/out") { _ in } }
        #expect(try names(dir).isEmpty)
    }
}
