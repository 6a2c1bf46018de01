// Where the compiler and the shipped LabforgeRecipe module and library are, installed or in the build tree.
import Crypto
import Foundation

/// What compiling recipe files needs: `swiftc`, and the `LabforgeRecipe` module (with `Naming`, which it imports)
/// and its static library, found like SwiftPM finds `PackageDescription`: beside the running labforge.
public struct RecipeToolchain: Sendable, Equatable {
    /// The Swift compiler.
    public var compiler: String
    /// Folder with `LabforgeRecipe.swiftmodule` and `Naming.swiftmodule`.
    public var moduleDirectory: String
    /// Folder with `libLabforgeRecipe.a`.
    public var libraryDirectory: String

    /// The static library's file name.
    public static let libraryName = "libLabforgeRecipe.a"
    /// The modules a recipe program imports.
    public static let modules = ["LabforgeRecipe", "Naming"]

    /// Creates a toolchain from explicit paths.
    /// - Parameters:
    ///   - compiler: `swiftc`.
    ///   - moduleDirectory: Folder with the `.swiftmodule` files.
    ///   - libraryDirectory: Folder with `libLabforgeRecipe.a`.
    public init(compiler: String, moduleDirectory: String, libraryDirectory: String) {
        self.compiler = compiler
        self.moduleDirectory = moduleDirectory
        self.libraryDirectory = libraryDirectory
    }

    /// The running binary (`/proc/self/exe`, symlinks resolved).
    public static var executablePath: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// Finds the toolchain: `$LABFORGE_RECIPE_RUNTIME`, else `<prefix>/lib/labforge` beside an installed
    /// `<prefix>/bin/labforge`, else the SwiftPM build folder a built labforge runs from (`Modules/` + the library);
    /// the compiler is `$LABFORGE_SWIFTC`, else `swiftc` in `PATH`.
    /// - Parameter executable: The running labforge binary.
    /// - Returns: The toolchain.
    /// - Throws: ``RecipeRepositoryError/runtimeMissing(searched:)``, ``RecipeRepositoryError/compilerMissing(_:)``.
    public static func locate(executable: String = executablePath) throws -> RecipeToolchain {
        let environment = ProcessInfo.processInfo.environment
        let binDirectory = URL(fileURLWithPath: executable).deletingLastPathComponent()
        let installed = binDirectory.deletingLastPathComponent().appendingPathComponent("lib/labforge").path
        var candidates: [(modules: String, library: String)] = []
        if let explicit = environment["LABFORGE_RECIPE_RUNTIME"], !explicit.isEmpty { candidates.append((explicit, explicit)) }
        candidates.append((installed, installed))
        candidates.append((binDirectory.appendingPathComponent("Modules").path, binDirectory.path))
        guard let found = candidates.first(where: { Self.holdsRuntime(modules: $0.modules, library: $0.library) }) else {
            throw RecipeRepositoryError.runtimeMissing(searched: candidates.map(\.modules))
        }
        return RecipeToolchain(compiler: try compilerPath(environment: environment), moduleDirectory: found.modules, libraryDirectory: found.library)
    }

    private static func holdsRuntime(modules: String, library: String) -> Bool {
        let manager = FileManager.default
        return Self.modules.allSatisfy { manager.fileExists(atPath: "\(modules)/\($0).swiftmodule") }
            && manager.fileExists(atPath: "\(library)/\(libraryName)")
    }

    private static func compilerPath(environment: [String: String]) throws -> String {
        if let explicit = environment["LABFORGE_SWIFTC"], !explicit.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: explicit) else { throw RecipeRepositoryError.compilerMissing("LABFORGE_SWIFTC=\(explicit) is not executable") }
            return explicit
        }
        for directory in (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(directory)/swiftc"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw RecipeRepositoryError.compilerMissing("no swiftc in PATH")
    }

    /// What a compiled recipe program depends on besides the recipe files: the compiler and the shipped module
    /// and library, by path, size and modification time (a rebuilt labforge or another toolchain recompiles).
    var identity: String {
        var hasher = SHA256()
        let files = [URL(fileURLWithPath: compiler).resolvingSymlinksInPath().path]
            + Self.modules.map { "\(moduleDirectory)/\($0).swiftmodule" } + ["\(libraryDirectory)/\(Self.libraryName)"]
        for file in files {
            var info = stat()
            let facts = stat(file, &info) == 0 ? "\(info.st_size) \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)" : "missing"
            hasher.update(data: Data("\(file) \(facts)\n".utf8))
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
