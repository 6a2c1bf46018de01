// What commands share: the cache and --json options, one JSON document on stdout, absolute paths.
import ArgumentParser
import Bases
import Foundation
import Reporting

/// `--cache-dir` and `--json`, shared by every command that uses the cache.
struct CacheOptions: ParsableArguments {
    @Option(name: .customLong("cache-dir"), help: "Cache directory (default: $XDG_CACHE_HOME/labforge or ~/.cache/labforge).")
    var cacheDirectory: String?

    @Flag(help: "Print one JSON document on stdout as the result; progress goes to stderr as JSON lines.")
    var json = false

    var cache: CacheDirectory { cacheDirectory.map { CacheDirectory(root: absolute($0)) } ?? .default }
    var progress: StreamProgressReporter { StreamProgressReporter(style: .automatic(json: json)) }
}

/// Makes a path absolute against the current directory.
func absolute(_ path: String) -> String {
    URL(fileURLWithPath: path).standardizedFileURL.path
}

/// Prints one JSON document (pretty, sorted keys, unescaped slashes) on stdout: the `--json` result.
func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}
