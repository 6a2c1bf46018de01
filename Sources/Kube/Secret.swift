// Secret (v1): a lab seat's generated credentials, the only object that ever holds them.

/// An Opaque Secret written with `stringData` (the API server stores it base64-encoded in `data`).
public struct Secret: KubernetesObject, Hashable {
    /// API group and version.
    public var apiVersion = "v1"
    /// The object kind.
    public var kind = "Secret"
    /// Name, namespace, labels and annotations.
    public var metadata: ObjectMeta
    /// `Opaque`.
    public var type: String
    /// Key → value, in plain text.
    public var stringData: StringMap

    /// Creates an Opaque Secret.
    /// - Parameters:
    ///   - metadata: Metadata.
    ///   - stringData: Key → plain-text value.
    public init(metadata: ObjectMeta, stringData: StringMap) {
        self.metadata = metadata
        type = "Opaque"
        self.stringData = stringData
    }
}
