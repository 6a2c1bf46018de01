// The recipes a set of files declares, read from the compiler's symbol graph: no registration list, no text parsing.
import Foundation

/// One declaration of a `Recipe` (or `[Recipe]`) value found in the recipe files.
public struct RecipeDeclaration: Sendable, Hashable, Codable {
    /// Its name as code refers to it: `pythonLab`, `Course.labs`.
    public var path: [String]
    /// Whether it is an array of recipes.
    public var isArray: Bool
    /// The file, relative to the source root.
    public var file: String
    /// 1-based line of the declaration.
    public var line: Int

    /// `file:line`.
    public var location: String { "\(file):\(line)" }

    /// The symbol graph's identifier of `LabforgeRecipe.Recipe`.
    static let recipeSymbol = "s:14LabforgeRecipe0B0V"

    /// Reads the declarations from the symbol graph files the compiler wrote.
    /// - Parameters:
    ///   - directory: The `-emit-symbol-graph-dir` folder.
    ///   - source: The files that were compiled (to make locations relative).
    /// - Returns: Declarations sorted by file and line.
    /// - Throws: ``RecipeRepositoryError/privateDeclaration(location:name:)``, ``RecipeRepositoryError/unreadableOutput(reason:)``.
    static func read(symbolGraphs directory: String, source: RecipeSource) throws -> [RecipeDeclaration] {
        struct Graph: Decodable {
            struct Symbol: Decodable {
                struct Kind: Decodable { var identifier: String }
                struct Fragment: Decodable { var kind: String; var spelling: String; var preciseIdentifier: String? }
                struct Location: Decodable {
                    struct Position: Decodable { var line: Int }
                    var uri: String
                    var position: Position
                }
                var kind: Kind
                var pathComponents: [String]
                var declarationFragments: [Fragment]?
                var accessLevel: String
                var location: Location?
            }
            var symbols: [Symbol]
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var found: [RecipeDeclaration] = []
        for name in names.sorted() where name.hasSuffix(".symbols.json") {
            let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name))
            let graph: Graph
            do { graph = try JSONDecoder().decode(Graph.self, from: data) } catch {
                throw RecipeRepositoryError.unreadableOutput(reason: "symbol graph \(name): \(error)")
            }
            for symbol in graph.symbols where ["swift.var", "swift.type.property"].contains(symbol.kind.identifier) {
                guard let fragments = symbol.declarationFragments, let location = symbol.location,
                      let kind = recipeType(fragments.map { (kind: $0.kind, spelling: $0.spelling, precise: $0.preciseIdentifier) }) else { continue }
                let file = absolutePath(uri: location.uri)
                let declaration = RecipeDeclaration(
                    path: symbol.pathComponents, isArray: kind == .array, file: source.relative(file), line: location.position.line + 1
                )
                if ["private", "fileprivate"].contains(symbol.accessLevel) {
                    throw RecipeRepositoryError.privateDeclaration(location: declaration.location, name: symbol.pathComponents.joined(separator: "."))
                }
                found.append(declaration)
            }
        }
        return Array(Set(found)).sorted { ($0.file, $0.line, $0.path.joined(separator: ".")) < ($1.file, $1.line, $1.path.joined(separator: ".")) }
    }

    private enum Kind { case single, array }

    /// The file a symbol graph `file://` URI names; the compiler writes relative paths as they were given to it.
    private static func absolutePath(uri: String) -> String {
        let raw = uri.hasPrefix("file://") ? String(uri.dropFirst("file://".count)) : uri
        let path = raw.removingPercentEncoding ?? raw
        return path.hasPrefix("/") ? path : URL(fileURLWithPath: path).standardizedFileURL.path
    }

    /// `Recipe` or `[Recipe]` after the declaration's name; anything else (`Recipe?`, `CreateUser`) is not a recipe.
    private static func recipeType(_ fragments: [(kind: String, spelling: String, precise: String?)]) -> Kind? {
        guard let name = fragments.firstIndex(where: { $0.kind == "identifier" }) else { return nil }
        var text = ""
        var namesRecipe = false
        for fragment in fragments[(name + 1)...] {
            if fragment.spelling.contains("{") || fragment.spelling.contains("=") { break }
            text += fragment.spelling
            if fragment.kind == "typeIdentifier" { namesRecipe = namesRecipe || fragment.precise == recipeSymbol }
        }
        guard namesRecipe else { return nil }
        switch text.trimmingCharacters(in: .whitespaces) {
        case ": Recipe": return .single
        case ": [Recipe]", ": Array<Recipe>": return .array
        default: return nil
        }
    }
}
