// The command examples in README.md and docs/ cannot rot: each `$ labforge …` line is parsed by the real
// command-line parser, each `$ make X` names a Makefile target, each `$ bash path` names a file of the tree.
import ArgumentParser
import Foundation
import Testing
@testable import labforge

@Suite("documentation examples")
struct DocsExamplesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Every Markdown file of the user documentation.
    static var documents: [URL] {
        let docs = root.appendingPathComponent("docs")
        let files = (try? FileManager.default.contentsOfDirectory(atPath: docs.path)) ?? []
        return [root.appendingPathComponent("README.md")] + files.filter { $0.hasSuffix(".md") }.sorted().map { docs.appendingPathComponent($0) }
    }

    /// An example command: where it stands and its words (environment assignments, redirections and pipes removed).
    struct Example: CustomStringConvertible {
        var file: String
        var line: Int
        var words: [String]
        var description: String { "\(file):\(line): \(words.joined(separator: " "))" }
    }

    /// The `$ ` lines inside fenced code blocks, with `\` continuations joined.
    static func examples() throws -> [Example] {
        var examples: [Example] = []
        for url in documents {
            let lines = try String(contentsOf: url, encoding: .utf8).components(separatedBy: "\n")
            var inFence = false
            var index = 0
            while index < lines.count {
                let line = lines[index]
                if line.hasPrefix("```") { inFence.toggle() }
                guard inFence, line.hasPrefix("$ ") else { index += 1; continue }
                let number = index + 1
                var command = String(line.dropFirst(2))
                while command.hasSuffix("\\"), index + 1 < lines.count {
                    command = String(command.dropLast()) + " " + lines[index + 1].trimmingCharacters(in: .whitespaces)
                    index += 1
                }
                examples.append(Example(file: url.lastPathComponent, line: number, words: words(of: command)))
                index += 1
            }
        }
        return examples
    }

    /// Shell words up to the first pipe, redirection, `&&`, `;` or comment, quotes removed, leading `VAR=value` dropped.
    static func words(of command: String) -> [String] {
        var words: [String] = []
        var current = "", quote: Character?, started = false
        for character in command {
            if let open = quote {
                if character == open { quote = nil } else { current.append(character) }
                continue
            }
            if character == "'" || character == "\"" { quote = character; started = true; continue }
            if character == " " || character == "\t" {
                if started { words.append(current); current = ""; started = false }
                continue
            }
            current.append(character); started = true
        }
        if started { words.append(current) }
        let stops: Set<String> = ["|", ">", ">>", "<", "&&", "||", ";", "#", "2>", "2>&1"]
        if let stop = words.firstIndex(where: { stops.contains($0) || $0.hasPrefix("#") || $0.hasPrefix(">") || $0.hasPrefix("2>") }) {
            words = Array(words[..<stop])
        }
        while let first = words.first, first.contains("="), !first.hasPrefix("-") { words.removeFirst() }
        return words
    }

    @Test("the documentation has command examples, and each `$ labforge …` line parses with today's options")
    func labforgeExamplesParse() throws {
        let all = try Self.examples()
        let labforge = all.filter { $0.words.first == "labforge" }
        #expect(labforge.count >= 20, "the docs show \(labforge.count) labforge examples")
        for example in labforge {
            do {
                _ = try Labforge.parseAsRoot(Array(example.words.dropFirst()))
            } catch {
                Issue.record("\(example)\n  does not parse: \(Labforge.message(for: error))")
            }
        }
    }

    @Test("each `$ make X` example names a Makefile target; each `$ bash FILE` names a file of the tree")
    func makeAndScriptExamplesExist() throws {
        let makefile = try String(contentsOf: Self.root.appendingPathComponent("Makefile"), encoding: .utf8)
        let targets = Set(makefile.components(separatedBy: "\n").compactMap { line -> String? in
            guard let colon = line.firstIndex(of: ":"), !line.hasPrefix("\t"), !line.hasPrefix("#"), !line.contains("=") else { return nil }
            return String(line[..<colon])
        }.flatMap { $0.split(separator: " ").map(String.init) })
        for example in try Self.examples() {
            switch example.words.first {
            case "make":
                for target in example.words.dropFirst() where !target.hasPrefix("-") && !target.contains("=") {
                    #expect(targets.contains(target), "\(example): no Makefile target \(target)")
                }
            case "bash":
                if let script = example.words.dropFirst().first(where: { !$0.hasPrefix("-") }) {
                    #expect(FileManager.default.fileExists(atPath: Self.root.appendingPathComponent(script).path), "\(example): no file \(script)")
                }
            default:
                continue
            }
        }
    }
}
