// The teacher's credentials file: one tab-separated line per seat with its URLs and credentials (mode 0600).
import Foundation
import Kube

/// One seat of the credentials file.
public struct CredentialsRecord: Sendable, Hashable {
    /// Student id, or the pool VM's name.
    public var seat: String
    /// The roster identity (`user:…`), or `-` for a pool seat.
    public var identity: String
    /// The VM's namespace.
    public var namespace: String
    /// The VM's name.
    public var virtualMachine: String
    /// Web terminal URL, or nil without routes.
    public var terminalURL: String?
    /// Web desktop URL, or nil without routes.
    public var desktopURL: String?
    /// The credentials.
    public var credentials: LabCredentials

    /// Creates a record.
    /// - Parameters:
    ///   - seat: Student id or VM name.
    ///   - identity: Roster identity or `-`.
    ///   - namespace: VM namespace.
    ///   - virtualMachine: VM name.
    ///   - terminalURL: Terminal URL.
    ///   - desktopURL: Desktop URL.
    ///   - credentials: The credentials.
    public init(
        seat: String, identity: String, namespace: String, virtualMachine: String, terminalURL: String?, desktopURL: String?,
        credentials: LabCredentials
    ) {
        self.seat = seat
        self.identity = identity
        self.namespace = namespace
        self.virtualMachine = virtualMachine
        self.terminalURL = terminalURL
        self.desktopURL = desktopURL
        self.credentials = credentials
    }
}

/// `credentials.tsv`: a header line, then one line per seat. It is the only file besides the Secrets that
/// holds credentials, is written with mode 0600 (``PrivateFile``), and is read back on the next run so that
/// students keep their passwords.
public enum CredentialsFile {
    /// The file name inside a class's output directory.
    public static let fileName = "credentials.tsv"
    /// The columns, in order.
    public static let columns = [
        "id", "identity", "namespace", "vm", "terminal_url", "desktop_url", "terminal_credential", "desktop_password", "password",
    ]

    /// Renders records.
    /// - Parameter records: One per seat.
    /// - Returns: The file's text.
    public static func render(_ records: [CredentialsRecord]) -> String {
        var lines = [
            "# labforge class credentials: hand each student their line; keep this file private (mode 0600).",
            columns.joined(separator: "\t"),
        ]
        for record in records {
            lines.append([
                record.seat, record.identity, record.namespace, record.virtualMachine, record.terminalURL ?? "-", record.desktopURL ?? "-",
                record.credentials.terminalCredential, record.credentials.desktopPassword, record.credentials.password,
            ].joined(separator: "\t"))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Reads the credentials of an existing file, keyed by seat.
    /// - Parameter path: The file; a missing file gives no credentials.
    /// - Returns: Seat → credentials.
    /// - Throws: ``ClassError/credentialsFile(path:line:reason:)`` for an unreadable line.
    public static func read(_ path: String) throws -> [String: LabCredentials] {
        guard FileManager.default.fileExists(atPath: path) else { return [:] }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ClassError.credentialsFile(path: path, line: 0, reason: error.localizedDescription)
        }
        var header: [String: Int]?
        var credentials: [String: LabCredentials] = [:]
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard let columnOf = header else {
                let named = Dictionary(fields.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
                let needed = ["id", "terminal_credential", "desktop_password", "password"]
                if let missing = needed.first(where: { named[$0] == nil }) {
                    throw ClassError.credentialsFile(path: path, line: index + 1, reason: "the header has no '\(missing)' column")
                }
                header = named
                continue
            }
            func field(_ name: String) -> String { columnOf[name].flatMap { $0 < fields.count ? fields[$0] : nil } ?? "" }
            let seat = field("id")
            let record = LabCredentials(
                terminalCredential: field("terminal_credential"), desktopPassword: field("desktop_password"), password: field("password")
            )
            if seat.isEmpty { throw ClassError.credentialsFile(path: path, line: index + 1, reason: "no id") }
            if let problem = record.problem { throw ClassError.credentialsFile(path: path, line: index + 1, reason: "seat '\(seat)': \(problem)") }
            if credentials[seat] != nil { throw ClassError.credentialsFile(path: path, line: index + 1, reason: "seat '\(seat)' appears twice") }
            credentials[seat] = record
        }
        return credentials
    }
}
