// Media types of the OCI image spec (and the Docker ones registries still serve).

/// Media type strings used in descriptors and `Content-Type` headers.
public enum MediaType {
    /// OCI image manifest.
    public static let imageManifest = "application/vnd.oci.image.manifest.v1+json"
    /// OCI image index.
    public static let imageIndex = "application/vnd.oci.image.index.v1+json"
    /// OCI image config.
    public static let imageConfig = "application/vnd.oci.image.config.v1+json"
    /// Uncompressed tar layer.
    public static let layerTar = "application/vnd.oci.image.layer.v1.tar"
    /// gzip-compressed tar layer.
    public static let layerTarGzip = "application/vnd.oci.image.layer.v1.tar+gzip"
    /// zstd-compressed tar layer.
    public static let layerTarZstd = "application/vnd.oci.image.layer.v1.tar+zstd"
    /// Docker schema 2 manifest (read only).
    public static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    /// Docker manifest list (read only).
    public static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
    /// The empty descriptor's media type (image spec 1.1): the config of an artifact that needs none.
    public static let empty = "application/vnd.oci.empty.v1+json"

    /// Whether a descriptor of this media type points at an index of manifests (OCI's or Docker's manifest list).
    /// - Parameter mediaType: A descriptor's media type.
    /// - Returns: True for ``imageIndex`` and ``dockerManifestList``.
    public static func isIndex(_ mediaType: String) -> Bool {
        mediaType == imageIndex || mediaType == dockerManifestList
    }
}

/// Annotation keys from the OCI image spec's pre-defined list.
public enum AnnotationKey {
    /// Date and time the image was built (RFC 3339).
    public static let created = "org.opencontainers.image.created"
    /// Human-readable title.
    public static let title = "org.opencontainers.image.title"
    /// Version of the packaged software.
    public static let version = "org.opencontainers.image.version"
    /// URL of the source the image was built from.
    public static let source = "org.opencontainers.image.source"
    /// Source control revision.
    public static let revision = "org.opencontainers.image.revision"
    /// Description.
    public static let description = "org.opencontainers.image.description"
    /// Name of the reference (tag) in an image layout's index.
    public static let refName = "org.opencontainers.image.ref.name"

    /// labforge: virtual size in bytes of the disk inside a containerDisk (manifests size PVCs from it).
    public static let diskVirtualSize = "dev.labforge.disk.virtual-size"
    /// labforge: format (`qcow2` or `raw`) of the disk inside a containerDisk.
    public static let diskFormat = "dev.labforge.disk.format"
    /// labforge: the firmwares the disk inside a containerDisk claims to boot under, comma-separated
    /// (`uefi-secure-boot,bios`); a config label and a manifest annotation.
    public static let firmware = "dev.labforge.firmware"
    /// labforge: `true` when the lab powers itself off (a recipe's `LabLifetime`); manifests and classes then use a run
    /// strategy under which that power-off leaves the VM stopped. A manifest annotation, absent otherwise.
    public static let labStopsItself = "dev.labforge.lab.stops-itself"
    /// labforge: the serial of the disk the image mounts on `/home` when the VM has one (a recipe's `PersistentHome`:
    /// `lab-home`); what `--variant persistent-home` needs. A manifest annotation, absent otherwise.
    public static let labHomeDisk = "dev.labforge.lab.home-disk"
}

/// Environment variables CDI turns into `instancetype.kubevirt.io/default-*` labels on imported PVCs.
public enum ContainerDiskEnvironment {
    /// Default instancetype of VMs made from the image.
    public static let defaultInstancetype = "INSTANCETYPE_KUBEVIRT_IO_DEFAULT_INSTANCETYPE"
    /// Default preference of VMs made from the image.
    public static let defaultPreference = "INSTANCETYPE_KUBEVIRT_IO_DEFAULT_PREFERENCE"
}
