// The catalog's package changes: an image's SBOM compared with the SBOM of its previous version in the catalog.
import Catalog
import Foundation
import SBOM

enum CatalogChanges {
    /// The changes of `entry` since ``ImageCatalog/previousVersion(of:)``, from the SBOM files beside the catalog;
    /// nil when either SBOM is missing or unreadable (the entry then shows no changes, not wrong ones).
    /// - Parameters:
    ///   - entry: A catalog entry with an SBOM path.
    ///   - catalog: The catalog holding it.
    ///   - root: The catalog's directory (SBOM paths are relative to it).
    static func changes(of entry: CatalogEntry, in catalog: ImageCatalog, root: String) -> PackageChanges? {
        guard let path = entry.sbom?.path, let previous = catalog.previousVersion(of: entry), let previousPath = previous.sbom?.path,
              let new = packages(root + "/" + path), let old = packages(root + "/" + previousPath)
        else { return nil }
        let diff = PackageDiff(old: old, new: new)
        let package = { (package: InstalledPackage) in PackageChanges.Package(name: package.name, version: package.version) }
        let change = { (change: PackageDiff.Change) in PackageChanges.Change(name: change.name, from: change.oldVersion, to: change.newVersion) }
        return PackageChanges(
            since: previous.version, added: diff.added.map(package), removed: diff.removed.map(package),
            upgraded: diff.upgraded.map(change), downgraded: diff.downgraded.map(change))
    }

    private static func packages(_ path: String) -> [InstalledPackage]? {
        FileManager.default.contents(atPath: path).flatMap { try? SBOMFile.packages(in: $0, path: path) }
    }
}
