// Which recipe files a command works on: a folder of them, one file, a repository's `labforge.swift`, or the shipped ones.
import Foundation

/// The recipe files of one source, found without any registration list: every `.swift` file below a folder
/// (hidden folders and `.build` skipped), or one file. Recipes are the `Recipe` values those files declare.
public struct RecipeSource: Sendable, Equatable {
    /// The folder the files are listed relative to (for a single file, its folder).
    public var root: String
    /// Absolute paths of the recipe files, sorted.
    public var files: [String]

    /// The file a repository root may hold instead of a `recipes/` folder (like SwiftPM's `Package.swift`).
    public static let rootFileName = "labforge.swift"
    /// The folder name a repository keeps its recipes in.
    public static let folderName = "recipes"

    /// Lists the recipe files of `path`.
    /// - Parameter path: A `.swift` file; a folder holding `labforge.swift` (that file alone); a repository root with a
    ///   `recipes/` folder (every `.swift` below that); or any other folder (every `.swift` below it).
    /// - Throws: ``RecipeRepositoryError/sourceMissing(path:)``, ``RecipeRepositoryError/noRecipeFiles(path:)``.
    public init(path: String) throws {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: absolute, isDirectory: &isDirectory) else {
            throw RecipeRepositoryError.sourceMissing(path: path)
        }
        if !isDirectory.boolValue {
            guard absolute.hasSuffix(".swift") else { throw RecipeRepositoryError.sourceMissing(path: path) }
            root = URL(fileURLWithPath: absolute).deletingLastPathComponent().path
            files = [absolute]
            return
        }
        let rootFile = absolute + "/" + Self.rootFileName
        if FileManager.default.fileExists(atPath: rootFile) {
            root = absolute
            files = [rootFile]
            return
        }
        // A repository root: its recipes/ folder, as when labforge runs in it without a source.
        let folder = absolute + "/" + Self.folderName
        var folderIsDirectory: ObjCBool = false
        root = FileManager.default.fileExists(atPath: folder, isDirectory: &folderIsDirectory) && folderIsDirectory.boolValue ? folder : absolute
        files = Self.swiftFiles(below: root)
        guard !files.isEmpty else { throw RecipeRepositoryError.noRecipeFiles(path: path) }
    }

    /// Whether `argument` names a recipe source rather than a recipe: an existing folder or `.swift` file.
    /// - Parameter argument: A command-line argument.
    /// - Returns: True for paths (recipe names are DNS labels; write `./name` for a folder named like a recipe).
    public static func isPath(_ argument: String) -> Bool {
        if argument.hasSuffix(".swift") || argument.contains("/") { return true }
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// The source a command uses when given none: `./labforge.swift`, else `./recipes/`, else the recipes
    /// labforge ships (installed under `share/labforge/recipes`, or the source tree's `recipes/` for a built labforge).
    /// - Parameters:
    ///   - directory: The working directory.
    ///   - executable: The running labforge binary.
    /// - Returns: The path to load, or `nil` when none exists.
    public static func defaultPath(in directory: String = FileManager.default.currentDirectoryPath, executable: String = RecipeToolchain.executablePath) -> String? {
        let local = [directory + "/" + rootFileName, directory + "/" + folderName]
        if let found = local.first(where: { FileManager.default.fileExists(atPath: $0) }) { return found }
        return shippedRecipes(executable: executable)
    }

    /// The shipped recipes: `<prefix>/share/labforge/recipes` beside an installed binary, else the `recipes/`
    /// folder of the source tree a built binary sits in (`<tree>/.build/<triple>/<config>/labforge`).
    /// - Parameter executable: The running labforge binary.
    /// - Returns: The folder, or `nil`.
    public static func shippedRecipes(executable: String = RecipeToolchain.executablePath) -> String? {
        var directory = URL(fileURLWithPath: executable).deletingLastPathComponent()
        let installed = directory.deletingLastPathComponent().appendingPathComponent("share/labforge/recipes").path
        if FileManager.default.fileExists(atPath: installed) { return installed }
        for _ in 0..<5 {
            directory.deleteLastPathComponent()
            let package = directory.appendingPathComponent("Package.swift").path
            let recipes = directory.appendingPathComponent(folderName).path
            if FileManager.default.fileExists(atPath: package), FileManager.default.fileExists(atPath: recipes) { return recipes }
        }
        return nil
    }

    /// `file` relative to ``root`` (for messages and the catalog).
    func relative(_ file: String) -> String {
        file.hasPrefix(root + "/") ? String(file.dropFirst(root.count + 1)) : file
    }

    private static func swiftFiles(below root: String) -> [String] {
        var found: [String] = []
        guard let walker = FileManager.default.enumerator(atPath: root) else { return [] }
        while let relative = walker.nextObject() as? String {
            let name = URL(fileURLWithPath: relative).lastPathComponent
            if name.hasPrefix(".") || name == "Package.swift" {
                walker.skipDescendants()
                continue
            }
            if name.hasSuffix(".swift") { found.append(root + "/" + relative) }
        }
        return found.sorted()
    }
}
