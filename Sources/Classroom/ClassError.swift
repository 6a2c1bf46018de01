// Errors of `labforge class`: roster lines, the credentials file, route protection, student names.

/// A problem with a class's roster, credentials or options, naming the file and line or the option at fault.
public enum ClassError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A roster line (or `--student` argument) that cannot be used.
    case rosterEntry(location: RosterLocation, reason: String)
    /// The roster file cannot be read.
    case rosterUnreadable(path: String, reason: String)
    /// No student given, or students given together with `--pool`.
    case roster(String)
    /// A line of an existing credentials file that cannot be read back.
    case credentialsFile(path: String, line: Int, reason: String)
    /// A name made from a student id is not a valid Kubernetes name.
    case studentName(id: String, location: RosterLocation?, kind: String, name: String, reason: String)

    public var description: String {
        switch self {
        case .rosterEntry(let location, let reason):
            return "\(location): \(reason)"
        case .rosterUnreadable(let path, let reason):
            return "\(path): cannot read the roster (\(reason))"
        case .roster(let reason):
            return reason
        case .credentialsFile(let path, let line, let reason):
            return "\(path):\(line): \(reason); fix the line, or delete the file to generate new credentials for every student"
        case .studentName(let id, let location, let kind, let name, let reason):
            let place = location.map { "\($0): " } ?? ""
            return "\(place)student '\(id)': \(kind) name '\(name)' is not valid (\(reason)); use a shorter id "
                + "(names are <image>-<id>…, at most 63 characters)"
        }
    }
}

/// Where a student came from: a roster file and line, or the n-th `--student` argument.
public struct RosterLocation: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The roster file path, or `--student`.
    public var source: String
    /// 1-based line (or argument) number.
    public var line: Int

    /// Creates a location.
    /// - Parameters:
    ///   - source: File path or `--student`.
    ///   - line: 1-based line number.
    public init(source: String, line: Int) {
        self.source = source
        self.line = line
    }

    /// `roster.txt:3` or `--student #2`.
    public var description: String { source.hasPrefix("--") ? "\(source) #\(line)" : "\(source):\(line)" }
}
