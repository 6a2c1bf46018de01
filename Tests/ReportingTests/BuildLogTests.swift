// The build log holds every guest command and its output: it is not readable by other users.
import Foundation
import Reporting
import Testing

@Suite("build log")
struct BuildLogTests {
    @Test("created 0640, also when it replaces a wider older log")
    func mode() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("labforge-log-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/build.log"
        try Data("old\n".utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: 0o666], ofItemAtPath: path)
        let log = try #require(BuildLog(path: path))
        log.line("step 1")
        log.close()
        let mode = (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int ?? -1) & 0o777
        #expect(mode == 0o640)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.hasSuffix("step 1\n") && !text.contains("old"))
    }
}
