// Shared inputs of the class tests: a roster of three kinds of identity, a class image, file scans.
import Classroom
import Foundation
import Kube
import KubeTestSupport
import TestSupport

enum ClassFixtures {
    /// A roster with a comment, a blank line, a user, a group and a service account.
    static let rosterText = """
        # id     identity
        alice    alice@school.example

        bob      group:cs101-team-b
        carol    serviceaccount:grading:carol
        """

    /// The desktop image without a credentials Secret of its own (a class writes one per student).
    static func image() -> ImageDescription {
        var image = KubeFixtures.desktopImage()
        image.credentialsSecret = nil
        return image
    }

    static func roster() throws -> Roster {
        try Roster(students: try Roster.parse(rosterText, source: "roster.txt"))
    }

    /// Fresh credentials for every seat.
    static func credentials(for seats: [String], user: String = "student") -> [String: LabCredentials] {
        Dictionary(uniqueKeysWithValues: seats.map { ($0, LabCredentials.generate(user: user)) })
    }

    /// Protected ingress routes: TLS and ingress-nginx external auth filled per student.
    static let protectedRoutes = RouteProtection(
        tlsSecret: "labs-tls",
        authentication: .external(
            url: "http://oauth2-proxy.auth.svc/oauth2/auth?allowed_emails={identity}", signin: "https://labs.example.org/oauth2/start",
            responseHeader: "X-Auth-Request-Email"))

    /// A class behind ingress-nginx with TLS and external auth per student (``protectedRoutes``).
    static let ingressSettings = ManifestSettings(
        namespace: "cs101", host: "labs.example.org", ingressClassName: "nginx", routing: .ingress, routes: protectedRoutes)

    /// Every regular file below `directory`, relative path → contents.
    static func files(in directory: String) throws -> [String: String] {
        var result: [String: String] = [:]
        let enumerator = FileManager.default.enumerator(atPath: directory)
        while let relative = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            let path = directory + "/" + relative
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
                result[relative] = try String(contentsOfFile: path, encoding: .utf8)
            }
        }
        return result
    }

    /// Files holding a credential value, other than the Secrets and the credentials file (should be none),
    /// and values missing from where they belong.
    static func leaks(in directory: String, credentials: [String: LabCredentials], extra: [String: String] = [:]) throws -> [String] {
        let files = try files(in: directory).merging(extra) { $1 }
        var problems: [String] = []
        let secrets = credentials.values.flatMap(\.secretValues)
        for (path, contents) in files.sorted(by: { $0.key < $1.key }) {
            let isSecretFile = path.hasSuffix("/secret.yaml") || path.hasSuffix("/secrets.yaml") || path == CredentialsFile.fileName
            if isSecretFile { continue }
            for value in secrets where contents.contains(value) { problems.append("\(path) holds a credential") }
        }
        let credentialsFile = files[CredentialsFile.fileName] ?? ""
        for value in secrets where !credentialsFile.contains(value) { problems.append("credentials file lacks a credential") }
        return problems
    }

    /// Octal permission bits of a path.
    static func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }
}
