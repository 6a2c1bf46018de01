// A Gateway's route matching, evaluated on the HTTPRoutes the tests write and read back with PyYAML.

/// Evaluates HTTPRoute documents like a Gateway: a request matches a rule when the host is one of the route's
/// hostnames (or it has none), the path lies under a `PathPrefix` match (whole path segments) and every header match
/// equals the request's header (names case-insensitive, `Exact` values). No matching rule: no route (404).
public struct GatewayModel {
    let routes: [[String: Any]]

    /// A model of a Gateway serving these HTTPRoute documents.
    /// - Parameter routes: The documents, as ``KubeFixtures/documents(_:)`` reads them.
    public init(routes: [[String: Any]]) {
        self.routes = routes
    }

    /// The backend `service:port` every matching rule sends the request to.
    public func backends(host: String, path: String, headers: [String: String]) -> [String] {
        let lowered = Dictionary(uniqueKeysWithValues: headers.map { ($0.key.lowercased(), $0.value) })
        var found: [String] = []
        for route in routes {
            guard let spec = route["spec"] as? [String: Any], let rules = spec["rules"] as? [[String: Any]] else { continue }
            if let hostnames = spec["hostnames"] as? [String], !hostnames.contains(host) { continue }
            for rule in rules {
                let matches = rule["matches"] as? [[String: Any]] ?? []
                let admitted = matches.contains { match in
                    guard let pathMatch = match["path"] as? [String: Any], pathMatch["type"] as? String == "PathPrefix",
                        let prefix = pathMatch["value"] as? String
                    else { return false }
                    let base = prefix.hasSuffix("/") ? String(prefix.dropLast()) : prefix
                    guard path == base || path.hasPrefix(base + "/") else { return false }
                    let headerMatches = match["headers"] as? [[String: Any]] ?? []
                    return headerMatches.allSatisfy { header in
                        guard header["type"] as? String ?? "Exact" == "Exact", let name = header["name"] as? String,
                            let value = header["value"] as? String
                        else { return false }
                        return lowered[name.lowercased()] == value
                    }
                }
                guard admitted else { continue }
                for backend in rule["backendRefs"] as? [[String: Any]] ?? [] {
                    found.append("\(backend["name"] ?? "?"):\(backend["port"] ?? "?")")
                }
            }
        }
        return found
    }
}
