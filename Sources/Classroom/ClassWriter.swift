// Writes a class into its output directory: public files renamed into place, Secrets and credentials 0600.
import Foundation
import Kube

/// Writes a class's files and the teacher's credentials file.
public enum ClassWriter {
    /// What was written.
    public struct Result: Sendable, Hashable {
        /// Every path written, credentials file last.
        public var paths: [String]
        /// The credentials file.
        public var credentialsPath: String
        /// Student folders left from an earlier run whose students are no longer in the roster.
        public var staleStudents: [String]
    }

    /// The credentials already given out in `directory` (empty when there is no credentials file).
    /// - Parameter directory: The output directory.
    /// - Returns: Seat → credentials.
    /// - Throws: ``ClassError/credentialsFile(path:line:reason:)``.
    public static func existingCredentials(in directory: String) throws -> [String: LabCredentials] {
        try CredentialsFile.read(URL(fileURLWithPath: directory).appendingPathComponent(CredentialsFile.fileName).path)
    }

    /// Writes the class. A missing output directory is created with mode 0700.
    /// - Parameters:
    ///   - manifests: The class.
    ///   - directory: The output directory.
    /// - Returns: The paths written and the stale student folders.
    /// - Throws: ``KubeError/writeFailed(path:reason:)`` or a Yams encoding error.
    public static func write(_ manifests: ClassManifests, to directory: String) throws -> Result {
        let fileManager = FileManager.default
        let root = URL(fileURLWithPath: directory)
        if !fileManager.fileExists(atPath: directory) {
            try makeDirectory(root.path, mode: 0o700)
        }
        var paths: [String] = []
        for file in try manifests.files() {
            let url = root.appendingPathComponent(file.path)
            try makeDirectory(url.deletingLastPathComponent().path, mode: 0o755)
            if file.isPrivate {
                try PrivateFile.write(file.contents, to: url.path)
            } else {
                do {
                    try Data(file.contents.utf8).write(to: url, options: .atomic)
                } catch {
                    throw KubeError.writeFailed(path: url.path, reason: error.localizedDescription)
                }
            }
            paths.append(url.path)
        }
        try ManifestWriter.removeLeftovers(keeping: Set(paths), header: ClassManifests.headerPrefix)
        let credentialsPath = root.appendingPathComponent(CredentialsFile.fileName).path
        try PrivateFile.write(CredentialsFile.render(manifests.credentialsRecords), to: credentialsPath)
        paths.append(credentialsPath)
        let current = Set(manifests.students.map(\.student.id))
        let studentsPath = root.appendingPathComponent(ClassManifests.studentsDirectory).path
        let stale = ((try? fileManager.contentsOfDirectory(atPath: studentsPath)) ?? []).filter { !current.contains($0) }.sorted()
        return Result(paths: paths, credentialsPath: credentialsPath, staleStudents: stale)
    }

    static func makeDirectory(_ path: String, mode: Int) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: mode])
        } catch {
            throw KubeError.writeFailed(path: path, reason: error.localizedDescription)
        }
    }
}
