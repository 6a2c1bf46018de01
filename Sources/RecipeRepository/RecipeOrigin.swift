// Where a recipe came from: its file and line, and the git repository and commit holding it.
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
