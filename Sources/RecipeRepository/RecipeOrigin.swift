// Where a recipe came from: its file and line, and the git repository and commit holding it.
import DiskImage
import Foundation

/// The source of one recipe, recorded in `labforge show` and in the catalog.
public struct RecipeOrigin: Sendable, Hashable, Codable {
    /// Absolute path of the recipe file.
    public var file: String
    /// 1-based line of its declaration.
    public var line: Int
    /// The declaration (`pythonLab`, `Course.labs`).
    public var declaration: String
    /// The file relative to the repository root (or to the recipes folder outside git).
    public var path: String
    /// The repository's `origin` remote URL (credentials removed), when the file is in a git work tree with one.
    public var repository: String?
    /// The commit checked out (`HEAD`), when in git.
    public var commit: String?
    /// Whether the file differs from that commit (uncommitted edits, or not tracked at all).
    public var modified: Bool?

    /// `file:line` as messages print it (relative to the working directory when below it).
    public var location: String { "\(RecipeCompiler.displayPath(file)):\(line)" }
}

/// What git says about the folder a set of recipe files lives in.
struct GitCheckout: Sendable {
    /// The work tree's top level.
    var root: String
    /// `origin`'s URL, credentials removed.
    var remote: String?
    /// `HEAD`.
    var commit: String?
    /// Files (absolute) with changes against `HEAD`, untracked ones included.
    var modified: Set<String>

    /// Asks git about `directory`; `nil` when it is not in a work tree or git is not installed.
    /// - Parameter directory: A folder.
    init?(directory: String) {
        func git(_ arguments: [String]) -> String? {
            guard let output = try? ExternalTool.run(["git", "-c", "safe.directory=*", "-C", directory] + arguments), output.status == 0 else { return nil }
            let text = String(decoding: output.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return text.isEmpty ? nil : text
        }
        guard let root = git(["rev-parse", "--show-toplevel"]) else { return nil }
        self.root = root
        commit = git(["rev-parse", "--verify", "-q", "HEAD"])
        remote = git(["remote", "get-url", "origin"]).map(Self.withoutCredentials)
        let status = git(["status", "--porcelain", "--untracked-files=all", "--", "."]) ?? ""
        modified = Set(status.split(separator: "\n").compactMap { line -> String? in
            guard line.count > 3 else { return nil }
            let path = String(line.dropFirst(3)).split(separator: " -> ").last.map(String.init) ?? ""
            return root + "/" + path
        })
    }

    /// `https://user:token@host/x` → `https://host/x`; scp-like `git@host:x` stays.
    static func withoutCredentials(_ url: String) -> String {
        guard let scheme = url.range(of: "://"), let at = url[scheme.upperBound...].firstIndex(of: "@"),
              !url[scheme.upperBound..<at].contains("/") else { return url }
        return String(url[..<scheme.upperBound]) + url[url.index(after: at)...]
    }
}
