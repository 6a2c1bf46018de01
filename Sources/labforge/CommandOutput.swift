// What every command shares for its output: one JSON document on stdout, absolute paths.
import Foundation

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
