// Which labforge made a cached thing: digests of its own sources, derived at build time, never hand-edited.

/// The engine identity: sha256 over the source files of labforge's customization code (``customization``:
/// Customize, Guestfs, DiskImage, LabforgeRecipe) and of its packaging code (``packaging``: OCI, Archive and the
/// C shims), computed by the `EngineIdentityPlugin` build-tool plugin whenever one of those files changes.
///
/// Image fingerprints and step-cache keys include ``customization``; the containerDisk layout's build key includes
/// ``packaging``. A digest of sources (rather than of the built binary) is the same in debug and release builds and
/// on every machine, and does not change when unrelated code (the CLI, the registry client) does.
public enum EngineIdentity {
    /// Both identities in one line, for build logs.
    public static var summary: String { "customization \(customization.prefix(12)), packaging \(packaging.prefix(12))" }
}
