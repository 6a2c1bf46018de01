// The confinement the compiled recipe program runs in: bubblewrap, a read-only view of what it needs, no network, no secrets.
import DiskImage
import Foundation
import ProcessRunner
import Reporting
#if canImport(Glibc)
import Glibc
#endif

/// Runs a compiled recipe program under bubblewrap (`bwrap`), so the recipe stays data.
///
/// The program only evaluates recipe values and writes them as JSON, so it gets only what that needs:
/// - a new user namespace in which it is uid/gid 65534 with no capabilities and may make no further user namespace,
///   and new mount, PID, IPC, UTS, cgroup and network namespaces (no network at all, not even the host's loopback);
/// - a file system of its own, read-only: `/usr` (and the `/bin`, `/lib`… links to it), `/etc/ld.so.cache`, the
///   Swift runtime libraries, the program, and the recipe folder (its working directory); a fresh `/proc`, a minimal
///   `/dev`, an empty tmpfs `/tmp`; writable only the folder labforge reads the JSON from (``outputDirectory``).
///   Nothing else of the host — not `$HOME`, `/root`, `~/.docker`, `~/.ssh`, the rest of `/etc`, the cache;
/// - an environment of `PATH` and `LANG` only (no `LABFORGE_SIGN_KEY`, no registry credentials);
/// - a session of its own (no terminal to inject into), ended with labforge (`--die-with-parent`).
struct RecipeSandbox: Sendable {
    /// The bubblewrap executable, looked up in `PATH`.
    static let bubblewrap = "bwrap"
    /// The writable folder inside, where the program writes `recipes.json`.
    static let outputDirectory = "/run/labforge"
    /// The environment inside, in full.
    static let environment = ["PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"]

    /// The Swift runtime libraries the program links against (its RUNPATH), when outside `/usr`.
    var runtimeLibraries: String?

    /// Creates a sandbox for programs compiled by `toolchain`.
    /// - Parameter toolchain: The compiler whose runtime libraries (`<toolchain>/usr/lib/swift/linux`) the program loads.
    init(toolchain: RecipeToolchain) {
        let compiler = URL(fileURLWithPath: toolchain.compiler).resolvingSymlinksInPath()
        let runtime = compiler.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("lib/swift/linux").path
        runtimeLibraries = FileManager.default.fileExists(atPath: runtime) ? runtime : nil
    }

    /// bubblewrap's arguments that run `program` with `recipes` as its read-only working directory.
    /// - Parameters:
    ///   - program: The compiled recipe program (bound read-only at the same path).
    ///   - recipes: The recipe folder (bound read-only at the same path).
    ///   - output: A private host folder, bound writable at ``outputDirectory``.
    /// - Returns: `bwrap` and its arguments, ending with the program and its output file.
    func arguments(program: String, recipes: String, output: String) -> [String] {
        var arguments = [
            Self.bubblewrap, "--unshare-all", "--unshare-user", "--uid", "65534", "--gid", "65534", "--disable-userns",
            "--cap-drop", "ALL", "--die-with-parent", "--new-session", "--clearenv",
        ]
        for (name, value) in Self.environment.sorted(by: { $0.key < $1.key }) { arguments += ["--setenv", name, value] }
        arguments += ["--ro-bind", "/usr", "/usr"]
        // Merged-/usr hosts have /bin, /lib… as links into /usr; others have directories.
        for top in ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"] {
            if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: top) {
                arguments += ["--symlink", target, top]
            } else {
                arguments += ["--ro-bind-try", top, top]
            }
        }
        arguments += ["--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache"]
        if let runtimeLibraries, !runtimeLibraries.hasPrefix("/usr/") { arguments += ["--ro-bind", runtimeLibraries, runtimeLibraries] }
        arguments += [
            "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
            "--ro-bind", recipes, recipes, "--ro-bind", program, program, "--bind", output, Self.outputDirectory,
            "--remount-ro", "/", "--chdir", recipes, "--", program, Self.outputDirectory + "/recipes.json",
        ]
        return arguments
    }

    /// The environment variable that overrides ``timeLimitSeconds``.
    static let timeLimitVariable = "LABFORGE_RECIPE_TIME_LIMIT"

    /// How long the recipe program may run: evaluating declarations takes milliseconds; 120 s unless
    /// ``timeLimitVariable`` says otherwise (read once).
    static let timeLimitSeconds: Int = ProcessInfo.processInfo.environment[timeLimitVariable].flatMap { Int($0) }.map { max(1, $0) } ?? 120

    /// Runs `program` confined (within ``timeLimitSeconds``) and returns what it wrote.
    /// - Parameters:
    ///   - program: The compiled recipe program.
    ///   - recipes: The recipe folder.
    /// - Returns: The JSON the program wrote.
    /// - Throws: ``RecipeRepositoryError/sandboxMissing`` (no `bwrap`), ``RecipeRepositoryError/sandboxFailed(reason:)``
    ///   (bubblewrap could not set the sandbox up), ``RecipeRepositoryError/programFailed(status:output:)``,
    ///   ``RecipeRepositoryError/unreadableOutput(reason:)``, ``RecipeRepositoryError/programTimedOut(seconds:)``.
    func run(program: String, recipes: String) throws -> Data {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("labforge-recipes-\(UUID().uuidString)").path
        do { try FileAccess.makePrivateDirectory(output) } catch {
            throw RecipeRepositoryError.cannotWrite(path: output, reason: "\(error)")
        }
        Interruption.register(output)
        defer {
            try? FileManager.default.removeItem(atPath: output)
            Interruption.unregister(output)
        }
        var child = ChildProcess(arguments(program: program, recipes: recipes, output: output))
        child.timeout = .seconds(Self.timeLimitSeconds)
        let result: ChildProcessResult
        do { result = try child.runBlocking() } catch {
            throw RecipeRepositoryError.sandboxMissing
        }
        // The runner kills the whole process group at the limit (bwrap --die-with-parent takes the program along).
        if result.timedOut { throw RecipeRepositoryError.programTimedOut(seconds: Self.timeLimitSeconds) }
        guard result.status == 0 else {
            // bubblewrap's own failures (before the program runs) start with "bwrap: ".
            if result.stderr.hasPrefix("bwrap: ") {
                throw RecipeRepositoryError.sandboxFailed(reason: result.stderr.trimmingSuffixNewlines)
            }
            throw RecipeRepositoryError.programFailed(status: result.status, output: result.stderr + String(decoding: result.stdout, as: UTF8.self))
        }
        guard let data = FileManager.default.contents(atPath: output + "/recipes.json") else {
            throw RecipeRepositoryError.unreadableOutput(reason: "the program wrote no recipes.json")
        }
        return data
    }
}
