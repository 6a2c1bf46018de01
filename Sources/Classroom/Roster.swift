// The students of a class: one `ID IDENTITY` per line of a roster file, or `--student ID=IDENTITY`.
import Foundation
import Kube

/// One student: a DNS-1123 id that names their objects, and the Kubernetes identity their RoleBinding names.
public struct Student: Sendable, Hashable, Codable {
    /// A DNS-1123 label, unique in the class (objects are `<image>-<id>`, routes `/<id>/…`).
    public var id: String
    /// Who gets console/VNC/start/stop on the student's VM.
    public var subject: AccessSubject
    /// Where the student was declared, for error messages.
    public var location: RosterLocation?

    /// Creates a student.
    /// - Parameters:
    ///   - id: DNS-1123 label.
    ///   - subject: The Kubernetes identity.
    ///   - location: Roster file and line.
    public init(id: String, subject: AccessSubject, location: RosterLocation? = nil) {
        self.id = id
        self.subject = subject
        self.location = location
    }
}

extension Student: RouteRule.Seat {
    /// The roster line, as the route rule names it in errors.
    public var origin: String? { location?.description }
}

/// A checked list of students: ids are DNS-1123 labels, none twice, every one with an identity.
///
/// The roster file holds one student per line, `ID IDENTITY`, separated by spaces or tabs; blank lines and
/// lines starting with `#` are ignored:
/// ```
/// # id    identity
/// alice   alice@school.example          (a user)
/// bob     group:cs101-team-b            (a group)
/// carol   serviceaccount:grading:carol  (a service account)
/// ```
public struct Roster: Sendable, Hashable {
    /// The students, in roster order.
    public let students: [Student]

    /// Checks ids, duplicates and identities.
    /// - Parameters:
    ///   - students: The students.
    ///   - allowSystemIdentities: Accept identities Kubernetes reserves (`system:…`, `--allow-system-identities`).
    /// - Throws: ``ClassError`` naming the line of a bad id, of a `system:` identity or of the second occurrence of an id.
    public init(students: [Student], allowSystemIdentities: Bool = false) throws {
        var seen: [String: Student] = [:]
        for student in students {
            if student.subject.isSystemIdentity, !allowSystemIdentities {
                throw Self.error(student.location, student.subject.systemIdentityProblem(student: student.id))
            }
            if let problem = KubernetesName.labelProblem(student.id) {
                throw Self.error(student.location, "student id '\(student.id)' is not a DNS-1123 label (\(problem)); use lower-case letters, digits and '-'")
            }
            if let first = seen[student.id] {
                let earlier = first.location.map { " (first at \($0))" } ?? ""
                throw Self.error(student.location, "student id '\(student.id)' appears twice\(earlier); ids must be unique")
            }
            seen[student.id] = student
        }
        self.students = students
    }

    /// Reads roster files and `--student` arguments, in that order.
    /// - Parameters:
    ///   - files: Roster file paths.
    ///   - arguments: `ID=IDENTITY` values.
    ///   - allowSystemIdentities: Accept identities Kubernetes reserves (`system:…`).
    /// - Throws: ``ClassError`` naming the file and line (or argument) at fault.
    public init(files: [String], arguments: [String], allowSystemIdentities: Bool = false) throws {
        var students: [Student] = []
        for path in files {
            let text: String
            do {
                text = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw ClassError.rosterUnreadable(path: path, reason: error.localizedDescription)
            }
            students += try Self.parse(text, source: path)
        }
        for (index, argument) in arguments.enumerated() {
            students.append(try Self.parseArgument(argument, location: RosterLocation(source: "--student", line: index + 1)))
        }
        try self.init(students: students, allowSystemIdentities: allowSystemIdentities)
    }

    /// Parses roster text.
    /// - Parameters:
    ///   - text: The file's contents.
    ///   - source: The file's path, named in errors.
    /// - Returns: The students, unchecked for duplicates.
    /// - Throws: ``ClassError/rosterEntry(location:reason:)``.
    public static func parse(_ text: String, source: String) throws -> [Student] {
        var students: [Student] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let location = RosterLocation(source: source, line: index + 1)
            let fields = trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            switch fields.count {
            case 1:
                throw error(location, "student '\(fields[0])' has no identity; write '\(fields[0]) user:NAME' (or group:NAME, serviceaccount:NAMESPACE:NAME)")
            case 2:
                students.append(Student(id: fields[0], subject: try subject(fields[1], location), location: location))
            default:
                throw error(location, "expected 'ID IDENTITY', found \(fields.count) fields")
            }
        }
        return students
    }

    /// Parses one `--student ID=IDENTITY`.
    /// - Parameters:
    ///   - argument: The value.
    ///   - location: `--student` and its position.
    /// - Returns: The student.
    /// - Throws: ``ClassError/rosterEntry(location:reason:)``.
    public static func parseArgument(_ argument: String, location: RosterLocation) throws -> Student {
        guard let equals = argument.firstIndex(of: "=") else {
            throw error(location, "'\(argument)' has no identity; write --student \(argument)=user:NAME (or group:NAME, serviceaccount:NAMESPACE:NAME)")
        }
        let id = String(argument[..<equals])
        return Student(id: id, subject: try subject(String(argument[argument.index(after: equals)...]), location), location: location)
    }

    static func subject(_ text: String, _ location: RosterLocation) throws -> AccessSubject {
        do {
            return try AccessSubject(parsing: text)
        } catch let error as KubeError {
            throw ClassError.rosterEntry(location: location, reason: error.description)
        }
    }

    static func error(_ location: RosterLocation?, _ reason: String) -> ClassError {
        location.map { ClassError.rosterEntry(location: $0, reason: reason) } ?? ClassError.roster(reason)
    }
}
