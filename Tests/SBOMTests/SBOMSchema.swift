// Checks SBOM documents against the official schemas in Fixtures/ with python3-jsonschema.
import Foundation
import Testing
import TestSupport

enum SBOMSchema {
    /// Fixtures/ next to this file.
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path

    /// Validates `document` against `schema` (a file name in Fixtures/); returns the validator's complaints, empty when valid.
    static func errors(of document: Data, schema: String) async throws -> String {
        let directory = try TemporaryDirectory(prefix: "labforge-sbom-schema")
        let path = directory.appending("document.json")
        try document.write(to: URL(fileURLWithPath: path))
        let result = try await Command.run(["python3", fixtures + "/validate.py", fixtures + "/" + schema, path])
        return result.status == 0 ? "" : "exit \(result.status): \(result.stderr)"
    }
}

extension SBOMSchema {
    /// Records an issue carrying the validator's complaints when `document` does not validate against `schema`.
    static func expectValid(_ document: Data, schema: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let errors = try await errors(of: document, schema: schema)
        #expect(errors.isEmpty, "\(schema): \(errors)", sourceLocation: sourceLocation)
    }
}
