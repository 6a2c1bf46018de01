// Names of one image's per-architecture manifests: both architectures of a multi-architecture image are applied side by
// side on a mixed cluster, so no two of their objects may share (kind, namespace, name) (kubectl apply would make the
// second overwrite the first: arm64's golden DataVolume would replace amd64's). The index's first architecture keeps
// the plain names; another architecture's objects end in `-<architecture>`; a single-architecture image is unchanged.
import Foundation
import Kube
import OCI
import KubeTestSupport
import Testing
import TestSupport

@Suite("Per-architecture manifest names")
struct ArchitectureNameTests {
    static let both = ["amd64", "arm64"]
    /// amd64's manifest digest inside the fixture's index.
    static let amdManifest = try! Digest(parsing: "sha256:" + String(repeating: "d6", count: 32))

    /// `kind namespace/name` of every object in the set's files (the alternatives written but not listed included).
    static func objects(_ set: ManifestSet) async throws -> [String] {
        let directory = try TemporaryDirectory(prefix: "labforge-names")
        var objects: [String] = []
        for path in try ManifestWriter.write(try set.files(), to: directory.path) where !path.hasSuffix("/kustomization.yaml") {
            for document in try await KubeFixtures.documents(path) {
                let metadata = document["metadata"] as? [String: Any] ?? [:]
                objects.append("\(document["kind"] as? String ?? "?") \(metadata["namespace"] as? String ?? "")/\(metadata["name"] as? String ?? "?")")
            }
        }
        return objects
    }

    /// The settings a mixed cluster's labs are written with: namespace, a student, routes, a RoleBinding, the home variant.
    static let routed = ManifestSettings(
        namespace: "labs", instance: "alice", host: "labs.example.org", gatewayName: "labs", gatewayNamespace: "gateways",
        accessSubject: AccessSubject(kind: .group, name: "cs101"), variant: .persistentHome, routes: RouteProtection(allowUnprotected: true))

    @Test("amd64 and arm64 of one index, by default and with every object written: no (kind, namespace, name) twice; each validates")
    func noSharedNames() async throws {
        let uefi = FirmwareBasis(claimed: [.uefi], verified: [.uefi])
        for settings in [ManifestSettings(), Self.routed] {
            // Each platform's manifest known, as the build writes them.
            let amd = try ManifestSet(
                image: ArchitectureManifestTests.image("amd64", of: Self.both, firmware: uefi, platformDigest: Self.amdManifest), settings: settings)
            let arm = try ManifestSet(
                image: ArchitectureManifestTests.image("arm64", of: Self.both, firmware: uefi, platformDigest: ArchitectureManifestTests.armManifest),
                settings: settings)
            let amdObjects = try await Self.objects(amd), armObjects = try await Self.objects(arm)
            #expect(Set(amdObjects).count == amdObjects.count)
            let shared = Set(amdObjects).intersection(armObjects)
            #expect(shared.isEmpty, "objects both architectures name alike: \(shared.sorted())")
            // Each set's Service and policies select its own VMs alone; its routes take paths of their own.
            #expect(amd.names.session != arm.names.session)
            #expect(amd.image.agents.allSatisfy { amd.publicPath(of: $0) != arm.publicPath(of: $0) })
            _ = try await ArchitectureManifestTests.validated(amd)
            _ = try await ArchitectureManifestTests.validated(arm)
        }
    }

    @Test("the index's first architecture keeps the plain names, arm64 ends in -arm64 (golden image, cron's DataSource, VMs, session); single-architecture images are unchanged")
    func suffixedNames() throws {
        let arm = try ManifestSet(image: ArchitectureManifestTests.image("arm64", of: Self.both), settings: Self.routed)
        #expect(arm.names.golden == "debian-desktop-arm64")
        #expect(arm.names.session == "debian-desktop-arm64-alice")
        #expect(arm.dataVolume.metadata.name == "debian-desktop-arm64" && arm.dataSource.metadata.name == "debian-desktop-arm64")
        #expect(arm.dataImportCron.metadata.name == "debian-desktop-arm64" && arm.dataImportCron.spec.managedDataSource == "debian-desktop-arm64")
        #expect(arm.ephemeralVM.metadata.name == "debian-desktop-arm64-alice-ephemeral")
        #expect(arm.persistentVM.spec.dataVolumeTemplates?.first?.metadata.name == "debian-desktop-arm64-alice-persistent-root")
        #expect(arm.homeDataVolume?.metadata.name == "debian-desktop-arm64-alice-home")
        #expect(arm.ephemeralVM.spec.template.metadata.labels?["app.kubernetes.io/instance"] == "debian-desktop-arm64-alice")
        // The image's own name stays: the app label, the Secret of the credentials both architectures share.
        #expect(arm.ephemeralVM.metadata.labels?["app.kubernetes.io/name"] == "debian-desktop")
        let amd = try ManifestSet(image: ArchitectureManifestTests.image("amd64", of: Self.both), settings: Self.routed)
        #expect(amd.names.golden == "debian-desktop" && amd.names.session == "debian-desktop-alice")
        // One architecture alone, arm64 too: the plain names, as before.
        for architecture in Self.both {
            let single = try ManifestSet(image: ArchitectureManifestTests.image(architecture), settings: Self.routed)
            #expect(single.names.golden == "debian-desktop" && single.names.session == "debian-desktop-alice", "\(architecture)")
        }
        // An explicit path prefix is the user's: kept as given.
        var prefixed = Self.routed
        prefixed.pathPrefix = "/cs101/alice/"
        #expect(try ManifestSet(image: ArchitectureManifestTests.image("arm64", of: Self.both), settings: prefixed).names.pathPrefix == "cs101/alice")
    }
}
