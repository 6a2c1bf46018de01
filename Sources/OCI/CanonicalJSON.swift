// JSON written once with sorted keys: registries and layouts hash the exact bytes.
import Foundation

/// Encodes and decodes the JSON documents of the OCI specs.
public enum CanonicalJSON {
    /// Encodes `value` with sorted keys and unescaped slashes, no whitespace: the same value gives the same bytes.
    /// - Parameter value: A spec document.
    /// - Returns: Its bytes; hash these, write these, push these.
    /// - Throws: `EncodingError`.
    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }

    /// Decodes a spec document.
    /// - Parameters:
    ///   - type: The document type.
    ///   - data: Its bytes.
    ///   - source: Named in the error (a path or a URL).
    /// - Returns: The value.
    /// - Throws: ``OCIError/invalidDocument(source:reason:)``.
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data, source: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw OCIError.invalidDocument(source: source, reason: "\(error)")
        }
    }
}
