// What a compiled-recipe cache entry held when labforge wrote it, checked before its program runs.
import Crypto
import Foundation

/// `<cache>/recipes/<key>/compiled.json`: the program's sha256 and size, and what it was compiled from.
///
/// Written into the entry's temporary folder before that folder is renamed into place; the declarations are compared
/// when the entry is used, the program just before every run. A program that no longer matches is not run (``RecipeRepositoryError/cacheEntryChanged(entry:reason:)``):
/// in a cache only the user can write (``RecipeCacheAccess``), a change means a program running as that user, or
/// the disk, changed it, and recompiling over it would hide that.
struct CompiledRecipesRecord: Codable, Equatable {
    /// A file's sha256 (lower-case hex) and size.
    struct Digest: Codable, Equatable {
        var sha256: String
        var size: Int

        /// The digest of `data`.
        init(_ data: Data) {
            sha256 = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
            size = data.count
        }
    }

    /// One recipe file the program was compiled from.
    struct SourceFile: Codable, Equatable {
        /// Relative to the source's root.
        var path: String
        var sha256: String
    }

    /// The entry's key (its folder name).
    var key: String
    /// ``RecipeToolchain``'s identity when compiled.
    var toolchain: String
    /// The compiler that compiled it.
    var compiler: String
    /// The recipe files.
    var files: [SourceFile]
    /// `program`.
    var program: Digest
    /// `declarations.json`.
    var declarations: Digest

    /// The record file's name in an entry.
    static let fileName = "compiled.json"

    /// Reads the record of `entry`.
    /// - Parameters:
    ///   - entry: `<cache>/recipes/<key>`.
    ///   - key: The key the entry is expected to hold.
    /// - Returns: The record.
    /// - Throws: ``RecipeRepositoryError/cacheEntryChanged(entry:reason:)`` when it is missing, unreadable or for another key.
    static func load(entry: String, key: String) throws -> CompiledRecipesRecord {
        let record: CompiledRecipesRecord
        do { record = try JSONDecoder().decode(CompiledRecipesRecord.self, from: try read(fileName, in: entry)) } catch let error as RecipeRepositoryError {
            throw error
        } catch {
            throw RecipeRepositoryError.cacheEntryChanged(entry: entry, reason: "\(fileName) is not labforge's record (\(error))")
        }
        guard record.key == key else {
            throw RecipeRepositoryError.cacheEntryChanged(entry: entry, reason: "\(fileName) records key \(record.key), not the folder's \(key)")
        }
        return record
    }

    /// Compares the entry's `program` with the record.
    /// - Parameter entry: `<cache>/recipes/<key>`.
    /// - Throws: ``RecipeRepositoryError/cacheEntryChanged(entry:reason:)`` with both digests.
    func checkProgram(entry: String) throws {
        let found = Digest(try Self.read("program", in: entry))
        guard found == program else {
            throw RecipeRepositoryError.cacheEntryChanged(
                entry: entry, reason: "program has sha256 \(found.sha256) (\(found.size) bytes), but labforge compiled "
                    + "\(program.sha256) (\(program.size) bytes)")
        }
    }

    /// Reads the entry's `declarations.json` and compares it with the record.
    /// - Parameter entry: `<cache>/recipes/<key>`.
    /// - Returns: Its bytes.
    /// - Throws: ``RecipeRepositoryError/cacheEntryChanged(entry:reason:)``.
    func checkDeclarations(entry: String) throws -> Data {
        let data = try Self.read("declarations.json", in: entry)
        guard Digest(data) == declarations else {
            throw RecipeRepositoryError.cacheEntryChanged(entry: entry, reason: "declarations.json differs from what labforge wrote")
        }
        return data
    }

    private static func read(_ name: String, in entry: String) throws -> Data {
        guard let data = FileManager.default.contents(atPath: entry + "/" + name) else {
            throw RecipeRepositoryError.cacheEntryChanged(entry: entry, reason: "\(name) cannot be read")
        }
        return data
    }

    /// Writes the record into a finished (not yet renamed) entry folder, readable and writable by the owner only.
    /// - Parameter folder: The entry's temporary folder, holding `program` and `declarations.json`.
    /// - Throws: File errors.
    func write(into folder: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let path = folder + "/" + Self.fileName
        try encoder.encode(self).write(to: URL(fileURLWithPath: path))
        guard chmod(path, 0o600) == 0 else {
            throw RecipeRepositoryError.cacheUnusable(path: path, reason: "chmod 600: \(String(cString: strerror(errno)))")
        }
    }
}
