// Object metadata and the small shared pieces of Kubernetes objects, encoded in a stable key order.

/// A string-to-string map (labels, annotations, selectors) that always encodes with sorted keys,
/// so the same input gives byte-identical YAML.
public struct StringMap: Sendable, Hashable, Codable, ExpressibleByDictionaryLiteral {
    /// The entries.
    public var entries: [String: String]

    /// Creates a map.
    /// - Parameter entries: Key → value.
    public init(_ entries: [String: String] = [:]) { self.entries = entries }

    public typealias Key = String
    public typealias Value = String

    public init(dictionaryLiteral elements: (String, String)...) {
        entries = Dictionary(elements, uniquingKeysWith: { $1 })
    }

    /// Whether the map is empty.
    public var isEmpty: Bool { entries.isEmpty }

    /// Reads or writes one entry.
    public subscript(key: String) -> String? {
        get { entries[key] }
        set { entries[key] = newValue }
    }

    struct EntryKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: EntryKey.self)
        for key in entries.keys.sorted() { try container.encode(entries[key]!, forKey: EntryKey(stringValue: key)) }
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: EntryKey.self)
        var entries: [String: String] = [:]
        for key in container.allKeys { entries[key.stringValue] = try container.decode(String.self, forKey: key) }
        self.entries = entries
    }
}

/// `metadata` of a Kubernetes object.
public struct ObjectMeta: Sendable, Hashable, Codable {
    /// Object name.
    public var name: String?
    /// Namespace, for namespaced objects.
    public var namespace: String?
    /// Labels.
    public var labels: StringMap?
    /// Annotations.
    public var annotations: StringMap?

    /// Creates metadata; empty maps are left out.
    /// - Parameters:
    ///   - name: Object name.
    ///   - namespace: Namespace.
    ///   - labels: Labels.
    ///   - annotations: Annotations.
    public init(name: String? = nil, namespace: String? = nil, labels: StringMap = [:], annotations: StringMap = [:]) {
        self.name = name
        self.namespace = namespace
        self.labels = labels.isEmpty ? nil : labels
        self.annotations = annotations.isEmpty ? nil : annotations
    }
}

/// A Kubernetes object that can be written as one YAML document.
public protocol KubernetesObject: Encodable, Sendable {
    /// `group/version` or `v1`.
    var apiVersion: String { get }
    /// The kind.
    var kind: String { get }
    /// The metadata.
    var metadata: ObjectMeta { get }
}

/// `{name: …}` references (Secrets, DataVolumes).
public struct NameReference: Sendable, Hashable, Codable {
    /// Referenced object's name.
    public var name: String
    /// Creates a reference.
    public init(name: String) { self.name = name }
}

/// An empty object (`{}`), e.g. KubeVirt's `masquerade: {}` and `pod: {}`.
public struct EmptyObject: Sendable, Hashable, Codable {
    /// Creates `{}`.
    public init() {}

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public func encode(to encoder: Encoder) throws { _ = encoder.container(keyedBy: Key.self) }
    public init(from decoder: Decoder) throws { _ = try decoder.container(keyedBy: Key.self) }
}

/// `resources: {requests: {...}}`.
public struct ResourceRequirements: Sendable, Hashable, Codable {
    /// Requested quantities.
    public var requests: StringMap
    /// Creates requirements.
    public init(requests: StringMap) { self.requests = requests }
}
