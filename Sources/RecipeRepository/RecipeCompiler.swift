// Compiles recipe files against the shipped LabforgeRecipe module into a small program, once per content hash.
import AtomicFile
import Bases
import Crypto
import DiskImage
import Foundation
import Reporting

/// A compiled recipes program in the cache: run it to get the recipes.
public struct CompiledRecipes: Sendable {
    /// The executable (its first argument is where it writes the recipes as JSON).
    public var program: String
    /// The declarations it evaluates, in order.
    public var declarations: [RecipeDeclaration]
    /// The cache key: sha256 of the files' names and contents and of the toolchain.
    public var key: String
    /// Whether this call compiled it (false: it came from the cache).
    public var compiled: Bool

    /// The cache entry holding ``program``.
    var entry: String { URL(fileURLWithPath: program).deletingLastPathComponent().path }

    /// Checks, just before the program runs, that the entry is still only this user's and its program is the one
    /// labforge compiled (``RecipeCacheAccess``, ``CompiledRecipesRecord``).
    /// - Throws: ``RecipeRepositoryError/cacheNotPrivate(path:problem:fix:)``, ``RecipeRepositoryError/cacheEntryChanged(entry:reason:)``.
    func checkUnchanged() throws {
        try RecipeCacheAccess.checkDirectory(URL(fileURLWithPath: entry).deletingLastPathComponent().path)
        try RecipeCacheAccess.checkDirectory(entry)
        try RecipeCacheAccess.checkFile(program)
        try RecipeCacheAccess.checkFile(entry + "/" + CompiledRecipesRecord.fileName)
        try CompiledRecipesRecord.load(entry: entry, key: key).checkProgram(entry: entry)
    }
}

/// Turns a ``RecipeSource`` into a ``CompiledRecipes`` under `<cache>/recipes/<key>/`.
///
/// Two compiler runs on a miss: the recipe files become a static library whose symbol graph lists every
/// `Recipe` value (discovery), then a generated `main.swift` that reads them links against it. A hit costs a
/// hash of the files.
public struct RecipeCompiler: Sendable {
    /// The compiler and the shipped module and library.
    public var toolchain: RecipeToolchain
    /// `<cache root>/recipes`.
    public var cacheDirectory: String
    /// The cache's locks (`<cache root>/locks/`).
    public var locks: CacheLocks
    /// `<cache root>` (`--cache-dir`).
    var cacheRoot: String

    /// Creates a compiler.
    /// - Parameters:
    ///   - toolchain: The compiler and runtime to use.
    ///   - cacheRoot: labforge's cache root (`--cache-dir`); programs go to its `recipes/` folder.
    public init(toolchain: RecipeToolchain, cacheRoot: String) {
        self.toolchain = toolchain
        self.cacheRoot = cacheRoot
        self.cacheDirectory = cacheRoot + "/recipes"
        self.locks = CacheLocks(root: cacheRoot)
    }

    /// The cache key of `source`: every file's path (relative to the root) and bytes, and the toolchain's identity.
    /// - Parameter source: The recipe files.
    /// - Returns: Lower-case hex sha256.
    public func key(for source: RecipeSource) throws -> String {
        var hasher = SHA256()
        hasher.update(data: Data("labforge recipes 2\ntoolchain \(toolchain.identity)\n".utf8))
        for file in source.files {
            let contents = try Data(contentsOf: URL(fileURLWithPath: file))
            hasher.update(data: Data("file \(source.relative(file)) \(contents.count)\n".utf8))
            hasher.update(data: contents)
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// Returns the compiled program for `source`, compiling it when the cache does not hold it.
    ///
    /// The cache is checked first: the root, `recipes/` and the entry must be this user's alone
    /// (``RecipeCacheAccess``), and an entry must still hold what labforge wrote into it (``CompiledRecipesRecord``);
    /// a changed entry is refused, not recompiled over. The program itself is checked again just before it runs.
    /// - Parameter source: The recipe files.
    /// - Returns: The program and its declarations.
    /// - Throws: ``RecipeRepositoryError/compileFailed(diagnostics:)`` with the compiler's `file:line:col` diagnostics,
    ///   ``RecipeRepositoryError/cacheNotPrivate(path:problem:fix:)``, ``RecipeRepositoryError/cacheEntryChanged(entry:reason:)``, and others.
    public func compile(_ source: RecipeSource) async throws -> CompiledRecipes {
        let key = try key(for: source)
        let entry = cacheDirectory + "/" + key
        do {
            try FileAccess.makePrivateDirectory(cacheDirectory, tightenExisting: false)
        } catch {
            throw RecipeRepositoryError.cacheUnusable(path: cacheDirectory, reason: "\(error)")
        }
        try RecipeCacheAccess.checkRoot(cacheRoot)
        try RecipeCacheAccess.checkDirectory(cacheDirectory)
        // Finished entries appear only by rename: one that exists is complete, or was changed since.
        let exists = { FileManager.default.fileExists(atPath: entry) }
        if exists() { return try cached(entry, key: key) }
        // The cache's one lock rule (``CacheLocks``): two processes compiling the same recipes take turns, and the
        // second finds the first one's program.
        let (lock, made) = try await locks.entry(key, exists: exists) {
            try await build(source, key: key, into: entry)
        }
        lock.release()
        var compiled = try cached(entry, key: key)
        compiled.compiled = made
        return compiled
    }

    /// Compiles `source` into a temp folder renamed to `entry` when complete (``AtomicFile``).
    private func build(_ source: RecipeSource, key: String, into entry: String) async throws {
        do {
            // No fsync: an entry lost in a crash is compiled again (and every entry is checked before it runs).
            try await AtomicFile.replace(entry, sync: false) { work in
                Interruption.register(work)
                defer { Interruption.unregister(work) }
                try await compile(source, key: key, into: work)
            }
        } catch let error as AtomicFileError {
            throw RecipeRepositoryError.cacheUnusable(path: entry, reason: error.detail)
        }
    }

    /// Compiles `source` into the folder `work`: the program, its declarations and the entry's record.
    private func compile(_ source: RecipeSource, key: String, into work: String) async throws {
        // Owner-only whatever the umask: the entry is renamed into place with these modes, and checked for them.
        try FileAccess.makePrivateDirectory(work)
        try FileManager.default.createDirectory(atPath: work + "/symbols", withIntermediateDirectories: true)
        let module = RecipeProgram.moduleName
        let moduleCache = ["-module-cache-path", cacheDirectory + "/module-cache"]
        // 1. The recipe files as a library, with the symbol graph that says which values are recipes.
        try await run([
            toolchain.compiler, "-parse-as-library", "-module-name", module, "-enable-testing",
            "-emit-module", "-emit-module-path", "\(work)/\(module).swiftmodule",
            "-emit-symbol-graph", "-emit-symbol-graph-dir", "\(work)/symbols", "-symbol-graph-minimum-access-level", "private",
            "-emit-library", "-static", "-o", "\(work)/lib\(module).a", "-I", toolchain.moduleDirectory,
        ] + moduleCache + source.files.map(Self.displayPath))
        let declarations = try RecipeDeclaration.read(symbolGraphs: work + "/symbols", source: source)
        guard !declarations.isEmpty else {
            throw RecipeRepositoryError.noRecipesDeclared(path: Self.displayPath(source.files.count == 1 ? source.files[0] : source.root))
        }
        // 2. The generated main, linked with the library and the shipped LabforgeRecipe.
        try Data(RecipeProgram.main(for: declarations).utf8).write(to: URL(fileURLWithPath: work + "/main.swift"))
        try await run([
            toolchain.compiler, "-module-name", "LabforgeRecipesMain", "\(work)/main.swift", "-I", work, "-I", toolchain.moduleDirectory,
            "-L", work, "-L", toolchain.libraryDirectory, "-l\(module)", "-lLabforgeRecipe", "-o", "\(work)/program",
        ] + moduleCache)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let declarationsData = try encoder.encode(declarations)
        try declarationsData.write(to: URL(fileURLWithPath: work + "/declarations.json"))
        for intermediate in ["symbols", "\(module).swiftmodule", "lib\(module).a", "\(module).swiftdoc", "\(module).swiftsourceinfo"] {
            try? FileManager.default.removeItem(atPath: work + "/" + intermediate)
        }
        try FileAccess.setMode(work + "/program", 0o700)
        for file in ["declarations.json", "main.swift"] { try FileAccess.setMode(work + "/" + file, 0o600) }
        guard let program = FileManager.default.contents(atPath: work + "/program") else {
            throw RecipeRepositoryError.cacheUnusable(path: work + "/program", reason: "the linker wrote no program")
        }
        let record = CompiledRecipesRecord(
            key: key, toolchain: toolchain.identity, compiler: toolchain.compiler,
            files: try source.files.map { file in
                CompiledRecipesRecord.SourceFile(path: source.relative(file), sha256: CompiledRecipesRecord.Digest(try Data(contentsOf: URL(fileURLWithPath: file))).sha256)
            },
            program: CompiledRecipesRecord.Digest(program), declarations: CompiledRecipesRecord.Digest(declarationsData))
        try record.write(into: work)
    }

    /// The finished entry's declarations, once the entry is checked (its program is checked just before it runs).
    private func cached(_ entry: String, key: String) throws -> CompiledRecipes {
        try RecipeCacheAccess.checkDirectory(entry)
        for file in ["program", "declarations.json", CompiledRecipesRecord.fileName] { try RecipeCacheAccess.checkFile(entry + "/" + file) }
        let record = try CompiledRecipesRecord.load(entry: entry, key: key)
        let data = try record.checkDeclarations(entry: entry)
        guard let declarations = try? JSONDecoder().decode([RecipeDeclaration].self, from: data) else {
            throw RecipeRepositoryError.cacheEntryChanged(entry: entry, reason: "declarations.json is not labforge's")
        }
        return CompiledRecipes(program: entry + "/program", declarations: declarations, key: key, compiled: false)
    }

    /// Runs the compiler on a dedicated thread: a process wait must not hold a cooperative thread (with every one
    /// of them waiting, the runner's own tasks could never run).
    private func run(_ arguments: [String]) async throws {
        let output: ToolOutput
        do { output = try await DedicatedThread.run(name: "labforge.swiftc") { try ExternalTool.run(arguments) } } catch {
            throw RecipeRepositoryError.compilerMissing("\(arguments[0]) cannot be started")
        }
        guard output.status == 0 else {
            let text = output.stderr + String(decoding: output.stdout, as: UTF8.self)
            throw RecipeRepositoryError.compileFailed(diagnostics: text)
        }
    }

    /// A file as diagnostics should name it: relative to the working directory when below it.
    static func displayPath(_ path: String) -> String {
        let directory = FileManager.default.currentDirectoryPath
        return path.hasPrefix(directory + "/") ? String(path.dropFirst(directory.count + 1)) : path
    }
}
