// What git says about the folder a set of recipe files lives in, asked so that the repository's own config runs nothing.
import DiskImage
import Foundation

/// What git says about the folder a set of recipe files lives in.
///
/// git reads the repository's `.git/config`, and some of its keys name programs git runs. So labforge keeps git's
/// ownership check (no `safe.directory=*`: a repository owned by another user is refused, with git's reason) and,
/// for the repositories that pass it, turns off what could still run a program for the commands it uses
/// (`rev-parse`, `remote get-url`, `status`): see ``hardening``.
struct GitCheckout: Sendable {
    /// The work tree's top level.
    var root: String
    /// `origin`'s URL, credentials removed.
    var remote: String?
    /// `HEAD`.
    var commit: String?
    /// Files (absolute) with changes against `HEAD`, untracked ones included.
    var modified: Set<String>

    /// Options before every git command labforge runs:
    /// - `core.fsmonitor=false`: `status` would start the program `core.fsmonitor` names (or git's daemon).
    /// - `core.hooksPath=/dev/null`: no hook runs (`post-index-change` would when `status` rewrites the index).
    /// - `--no-optional-locks`: `status` does not rewrite the index at all (a read-only look at the user's tree).
    /// - `--no-pager`: output goes to labforge, never to `core.pager`.
    /// What stays: clean filters (`filter.<name>.clean`, named by `.gitattributes`) may run when `status` re-reads a
    /// file; git has no switch for all of them. They run only in repositories that passed git's ownership check,
    /// i.e. the user's own or ones the user declared safe, as a `git status` of the user's would.
    static let hardening = ["--no-pager", "--no-optional-locks", "-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null"]

    /// Asks git about `directory`.
    /// - Parameter directory: A folder.
    /// - Returns: The checkout; `nil` when the folder is not in a git work tree or git is not installed.
    /// - Throws: ``RecipeRepositoryError/repositoryNotTrusted(directory:repository:gitMessage:)`` when git refuses
    ///   the repository because another user owns it.
    static func read(directory: String) throws -> GitCheckout? {
        // git's messages in English, so labforge can tell its ownership refusal from "not a git repository".
        let environment = passedOn().merging(["LC_ALL": "C"]) { $1 }
        func run(_ arguments: [String]) -> ToolOutput? {
            try? ExternalTool.run(["git"] + hardening + ["-C", directory] + arguments, environment: environment)
        }
        func text(_ output: ToolOutput?) -> String? {
            guard let output, output.status == 0 else { return nil }
            let text = String(decoding: output.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return text.isEmpty ? nil : text
        }
        let toplevel = run(["rev-parse", "--show-toplevel"])
        if let toplevel, toplevel.status != 0, let refusal = OwnershipRefusal(gitMessage: toplevel.stderr) {
            throw RecipeRepositoryError.repositoryNotTrusted(directory: directory, repository: refusal.repository, gitMessage: refusal.message)
        }
        guard let root = text(toplevel) else { return nil }
        let status = text(run(["status", "--porcelain", "--untracked-files=all", "--", "."])) ?? ""
        return GitCheckout(
            root: root,
            remote: text(run(["remote", "get-url", "origin"])).map(Self.withoutCredentials),
            commit: text(run(["rev-parse", "--verify", "-q", "HEAD"])),
            modified: Set(status.split(separator: "\n").compactMap { line -> String? in
                guard line.count > 3 else { return nil }
                let path = String(line.dropFirst(3)).split(separator: " -> ").last.map(String.init) ?? ""
                return root + "/" + path
            }))
    }

    /// What git's ownership check reads from labforge's environment, passed on to git explicitly since children get
    /// an allow-listed environment: the user's git configuration (`GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_<n>`/
    /// `GIT_CONFIG_VALUE_<n>`, `GIT_CONFIG_PARAMETERS`, `GIT_CONFIG_GLOBAL`…: a CI job trusts its checkout with
    /// `safe.directory` this way; ``hardening``'s `-c` options come later on git's command line and still win), and
    /// `SUDO_UID` (under sudo, git accepts the repositories of the user who ran it).
    /// - Parameter parent: labforge's environment.
    /// - Returns: Those variables.
    static func passedOn(_ parent: [String: String] = ProcessInfo.processInfo.environment) -> [String: String] {
        parent.filter { $0.key.hasPrefix("GIT_CONFIG_") || $0.key == "SUDO_UID" }
    }

    /// `https://user:token@host/x` → `https://host/x`; scp-like `git@host:x` stays.
    static func withoutCredentials(_ url: String) -> String {
        guard let scheme = url.range(of: "://"), let at = url[scheme.upperBound...].firstIndex(of: "@"),
              !url[scheme.upperBound..<at].contains("/") else { return url }
        return String(url[..<scheme.upperBound]) + url[url.index(after: at)...]
    }
}

/// git's refusal of a repository another user owns (git ≥ 2.35.2): "fatal: detected dubious ownership in repository
/// at '/path'", followed by the `git config --global --add safe.directory` line that trusts it.
struct OwnershipRefusal: Equatable {
    /// The repository git refused (its work tree, or `.git` folder), as git names it.
    var repository: String
    /// git's whole message.
    var message: String

    /// Reads git's standard error; `nil` when it is not that refusal.
    /// - Parameter gitMessage: git's standard error (in the C locale).
    init?(gitMessage: String) {
        let marker = "detected dubious ownership in repository at '"
        guard let start = gitMessage.range(of: marker) else { return nil }
        let rest = gitMessage[start.upperBound...]
        repository = String(rest[..<(rest.firstIndex(of: "'") ?? rest.endIndex)])
        message = gitMessage.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
