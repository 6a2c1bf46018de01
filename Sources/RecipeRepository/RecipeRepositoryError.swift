// What can go wrong between a folder of recipe files and the recipes as values: finding, compiling, running, checking.
import LabforgeRecipe

/// A recipes folder that cannot be loaded. Each case names the file, recipe or tool at fault.
public enum RecipeRepositoryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The path given as a recipe source is neither a directory nor a `.swift` file.
    case sourceMissing(path: String)
    /// The folder holds no `.swift` file.
    case noRecipeFiles(path: String)
    /// The files compiled but declare no `Recipe` (or `[Recipe]`) value.
    case noRecipesDeclared(path: String)
    /// A recipe value is `private`/`fileprivate`, so the generated program cannot read it.
    case privateDeclaration(location: String, name: String)
    /// `swiftc` is not installed (or not where `LABFORGE_SWIFTC` says).
    case compilerMissing(String)
    /// The `LabforgeRecipe` module or library labforge ships is not found.
    case runtimeMissing(searched: [String])
    /// The recipe files do not compile; `diagnostics` is the compiler's own output (`file:line:col: error: …`).
    case compileFailed(diagnostics: String)
    /// The compiled recipe program failed (a recipe trapped while being evaluated).
    case programFailed(status: Int32, output: String)
    /// The compiled recipe program did not finish within its time limit (a recipe that loops while evaluated).
    case programTimedOut(seconds: Int)
    /// The program's output is not what labforge expects (a labforge bug or a stale cache).
    case unreadableOutput(reason: String)
    /// A recipe compiled but is invalid; `location` is its declaration's `file:line`.
    case invalidRecipe(location: String, recipe: String, error: RecipeError)
    /// Two declarations give one recipe name.
    case duplicateRecipe(name: String, locations: [String])
    /// A name asked for on the command line that no recipe has.
    case unknownRecipe(name: String, known: [String], source: String)
    /// The cache entry could not be written.
    case cacheUnusable(path: String, reason: String)
    /// `labforge init` into a folder that already holds files.
    case initTargetNotEmpty(path: String)
    /// A file of the starter repository could not be written.
    case cannotWrite(path: String, reason: String)
    /// git refuses the repository holding the recipes because another user owns it; `gitMessage` is git's own.
    case repositoryNotTrusted(directory: String, repository: String, gitMessage: String)
    /// bubblewrap, which confines the compiled recipe program, is not installed.
    case sandboxMissing
    /// bubblewrap is installed but could not set up the sandbox; `reason` is its message.
    case sandboxFailed(reason: String)
    /// A cache folder or file a recipe program would be run from is writable by, or belongs to, someone else.
    case cacheNotPrivate(path: String, problem: String, fix: String)
    /// A compiled-recipe cache entry no longer holds what labforge wrote (its program or record changed).
    case cacheEntryChanged(entry: String, reason: String)

    public var description: String {
        switch self {
        case .sourceMissing(let path):
            return "recipe source \(path): no such directory or .swift file"
        case .noRecipeFiles(let path):
            return "\(path) holds no .swift recipe file; write one (labforge init DIR makes a starter) or point at the right folder"
        case .noRecipesDeclared(let path):
            return "\(path): no recipe found; declare one as `let name = Recipe(name: …) { … }` (a Recipe or [Recipe] value, not private)"
        case .privateDeclaration(let location, let name):
            return "\(location): recipe \(name) is private; recipes must be internal (the default) or public to be found"
        case .compilerMissing(let detail):
            return "recipes are compiled with swiftc, the Swift toolchain labforge was built with: \(detail); install it or set LABFORGE_SWIFTC"
        case .runtimeMissing(let searched):
            return "the LabforgeRecipe module and library are not installed (looked in \(searched.joined(separator: ", "))); "
                + "run `make install PREFIX=…` or set LABFORGE_RECIPE_RUNTIME to a folder holding LabforgeRecipe.swiftmodule and libLabforgeRecipe.a"
        case .compileFailed(let diagnostics):
            return "recipes do not compile:\n" + diagnostics.trimmingSuffixNewlines
        case .programFailed(let status, let output):
            return "evaluating the recipes failed (exit status \(status)):\n" + output.trimmingSuffixNewlines
        case .programTimedOut(let seconds):
            return "evaluating the recipes did not finish within \(seconds) s (does a recipe loop while it is evaluated?); "
                + "the program was stopped. On a slow machine set \(RecipeSandbox.timeLimitVariable)=SECONDS"
        case .unreadableOutput(let reason):
            return "the compiled recipe program printed something labforge cannot read: \(reason)"
        case .invalidRecipe(let location, let recipe, let error):
            return "\(location): recipe \(recipe) is invalid: \(error)"
        case .duplicateRecipe(let name, let locations):
            return "two recipes are named \(name) (\(locations.joined(separator: " and "))); names must be unique"
        case .unknownRecipe(let name, let known, let source):
            return "no recipe named \(name) in \(source); known: \(known.joined(separator: ", "))"
        case .cacheUnusable(let path, let reason):
            return "recipe cache \(path): \(reason)"
        case .initTargetNotEmpty(let path):
            return "\(path) is not empty; labforge init writes a new repository into a new or empty folder"
        case .cannotWrite(let path, let reason):
            return "cannot write \(path): \(reason); nothing was written"
        case .repositoryNotTrusted(let directory, let repository, let gitMessage):
            return "recipes in \(RecipeCompiler.displayPath(directory)): git refuses the repository \(repository) because another user owns it "
                + "(its .git/config could run programs as you, e.g. core.fsmonitor), and so does labforge. git says:\n"
                + gitMessage.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n")
                + "\nOnly if you trust whoever owns it: git config --global --add safe.directory \(repository) "
                + "(for one run: GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=safe.directory GIT_CONFIG_VALUE_0=\(repository)); "
                + "or make it yours: chown -R \"$(id -u):$(id -g)\" \(repository)"
        case .sandboxMissing:
            return "the compiled recipe program runs confined by bubblewrap, and `bwrap` is not installed: "
                + "apt-get install bubblewrap (make deps installs it)"
        case .sandboxFailed(let reason):
            let namespaces = ["namespace", "uid map", "gid map", "Operation not permitted", "No permissions"].contains { reason.contains($0) }
            guard namespaces else { return "bubblewrap could not confine the compiled recipe program: \(reason)" }
            return "bubblewrap could not confine the compiled recipe program: \(reason)\n"
                + "It needs user namespaces: check `sysctl kernel.unprivileged_userns_clone` (1 on Debian) and, on Ubuntu 24.04+, "
                + "`kernel.apparmor_restrict_unprivileged_userns` (0) or an AppArmor profile for bwrap; in a container, a seccomp "
                + "profile that allows unshare(2) and clone(2) with namespace flags"
        case .cacheNotPrivate(let path, let problem, let fix):
            return "recipe cache \(path) \(problem); labforge runs the programs this cache holds as you, so it refuses it: \(fix)"
        case .cacheEntryChanged(let entry, let reason):
            return "recipe cache entry \(entry) changed after labforge compiled it: \(reason); its program is not run. "
                + "Remove the entry to recompile (rm -r \(entry)), and find out what wrote to the cache"
        }
    }
}

extension String {
    var trimmingSuffixNewlines: String {
        var text = Substring(self)
        while text.last?.isNewline == true { text = text.dropLast() }
        return String(text)
    }
}
