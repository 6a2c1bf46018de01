// `labforge init DIR`: a lab team's repository with one recipe that builds, a README, a .gitignore and a CI workflow.
import AtomicFile
import Foundation
import LabforgeRecipe

/// The files of a new recipes repository.
public struct StarterRepository: Sendable {
    /// Which agent the starter recipe has.
    public enum Kind: String, Sendable, CaseIterable {
        /// A browser terminal (ttyd).
        case terminal
        /// A browser terminal and a browser desktop (noVNC).
        case desktop
    }

    /// The recipe's name (a DNS label).
    public var name: String
    /// Terminal or desktop.
    public var kind: Kind
    /// The labforge container image the workflow runs (pin the version you tested).
    public var labforgeImage: String

    /// Creates the starter.
    /// - Parameters:
    ///   - name: Recipe name; must be a DNS-1123 label.
    ///   - kind: Terminal or desktop.
    ///   - labforgeImage: The labforge image for the workflow.
    public init(name: String, kind: Kind, labforgeImage: String) {
        self.name = name
        self.kind = kind
        self.labforgeImage = labforgeImage
    }

    /// A recipe name from a folder name: lower-cased, runs of other characters made `-`, at most 63 characters.
    /// - Parameter folder: The repository folder's name.
    /// - Returns: A DNS label (`lab` when nothing is left).
    public static func recipeName(forFolder folder: String) -> String {
        var name = ""
        for scalar in folder.lowercased().unicodeScalars {
            let keep = ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar)
            if keep { name.unicodeScalars.append(scalar) } else if !name.hasSuffix("-") { name += "-" }
        }
        name = String(name.prefix(63)).trimmingCharacters(in: CharacterSet(charactersIn: "-"))
        return Recipe.isDNSLabel(name) ? name : "lab"
    }

    /// Every file, by path relative to the repository root.
    public var files: [(path: String, contents: String)] {
        [
            ("recipes/\(name).swift", recipe),
            ("recipes/files/welcome.md", welcome),
            ("README.md", readme),
            (".gitignore", "# labforge build outputs (disks, OCI layouts, manifests, catalog)\n/images/\n"),
            (".github/workflows/images.yml", workflow),
        ]
    }

    /// Writes the repository into `directory` (a new or empty folder), all at once: the files go to a hidden sibling
    /// temporary folder first (``AtomicFile``), renamed into place when complete.
    /// - Parameter directory: The repository folder.
    /// - Throws: ``RecipeRepositoryError/initTargetNotEmpty(path:)`` for an existing file or non-empty folder,
    ///   ``RecipeRepositoryError/cannotWrite(path:reason:)`` when it cannot be written (nothing is left behind).
    public func write(to directory: String) throws {
        let target = URL(fileURLWithPath: directory).standardizedFileURL.path
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: target, isDirectory: &isDirectory) {
            guard isDirectory.boolValue, (try? manager.contentsOfDirectory(atPath: target))?.isEmpty == true else {
                throw RecipeRepositoryError.initTargetNotEmpty(path: directory)
            }
        }
        do {
            // rename(2) replaces the empty folder, if there is one, in the same step.
            try AtomicFile.replace(target) { partial in
                for file in files {
                    let path = partial + "/" + file.path
                    try manager.createDirectory(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path, withIntermediateDirectories: true)
                    try Data(file.contents.utf8).write(to: URL(fileURLWithPath: path))
                }
            }
        } catch let error as AtomicFileError {
            throw RecipeRepositoryError.cannotWrite(path: directory, reason: error.detail)
        } catch {
            throw RecipeRepositoryError.cannotWrite(path: directory, reason: "\(error)")
        }
    }

    var recipe: String {
        let desktop = kind == .desktop
        return """
            // \(name): the lab image this repository builds. Every `Recipe` value declared in a .swift file under
            // recipes/ is an image (no list to register it in); `labforge list` shows them, `labforge build` builds them.
            import LabforgeRecipe

            /// The lab user: uid 1000, no password (cloud-init adds keys or a password when the VM boots).
            let student = CreateUser("student", uid: 1000, comment: "Lab Student", groups: ["users"], shell: "/bin/bash")

            let \(Self.identifier(name)) = Recipe(
                name: "\(name)",
                version: "1.0.0",
                displayName: "\(name)",
                description: "Debian 13 with a browser \(desktop ? "terminal and desktop" : "terminal") for the lab.",
                tags: ["debian", "\(desktop ? "desktop" : "terminal")"],
                instancetype: "\(desktop ? "u1.medium" : "u1.small")",
                minimumMemoryMiB: \(desktop ? 2048 : 1024),
                latest: true
            ) {
                CloudInit()
                student
                Install("git", "nano")
                // Upload paths are relative to this file: files/welcome.md is recipes/files/welcome.md.
                Upload("files/welcome.md", into: "/home/student", owner: FileOwner("student"))
                WebTerminal(port: 7681, user: "student")
            \(desktop ? "    WebDesktop(port: 6080, user: \"student\", session: .minimal)\n" : "")}

            """
    }

    var welcome: String {
        "# \(name)\n\nWelcome to the lab. Your files live in /home/student.\n"
    }

    var readme: String {
        """
        # \(name) — lab images

        Lab VM images for KubeVirt, built with labforge from the Swift
        recipes in `recipes/` (every `Recipe` value there is an image; files they upload sit beside them).

            labforge list                 # the recipes, compiled against the installed labforge
            labforge build --no-verify    # build them into images/ (drop --no-verify to boot and probe each one)

        `labforge show \(name)` prints the plan; `labforge build --push REGISTRY/PREFIX` pushes the images.
        `.github/workflows/images.yml` builds every recipe in CI with the labforge container image and pushes on `main`.

        """
    }

    /// A Swift identifier from a recipe name (`my-lab` → `myLab`; a keyword such as `class` in backticks).
    static func identifier(_ name: String) -> String {
        let parts = name.split(separator: "-").map(String.init)
        let joined = (parts.first ?? "lab") + parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
        let identifier = joined.first?.isLetter == true ? joined : "lab" + joined
        return keywords.contains(identifier) ? "`\(identifier)`" : identifier
    }

    /// Swift keywords a lower-case DNS label can spell.
    private static let keywords: Set<String> = [
        "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import", "init", "inout", "internal", "let",
        "open", "operator", "private", "precedencegroup", "protocol", "public", "rethrows", "static", "struct", "subscript", "typealias",
        "var", "break", "case", "catch", "continue", "default", "defer", "do", "else", "fallthrough", "for", "guard", "if", "in", "repeat",
        "return", "throw", "switch", "where", "while", "as", "any", "false", "is", "nil", "self", "super", "throws", "true", "try",
    ]
}
