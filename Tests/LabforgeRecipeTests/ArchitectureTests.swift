// A recipe built for an architecture: the bootstrap and firmware it gets, the pinned files it installs, the refusals.
import Foundation
import LabforgeRecipe
import Testing

@Suite("architectures")
struct ArchitectureTests {
    @Test("names: lists parse once each in order; kernel machine names map back")
    func names() {
        #expect(Architecture.list("arm64, amd64,arm64") == [.arm64, .amd64])
        #expect(Architecture.list("aarch64") == nil)
        #expect(Architecture.list("") == nil)
        #expect(Architecture(machine: "aarch64") == .arm64 && Architecture(machine: "x86_64") == .amd64)
        #expect(Architecture.arm64.binfmtHandler == "qemu-aarch64")
        #expect(Architecture.arm64.bootableFirmware == [.uefi])
    }

    @Test("arm64: an arm64 bootstrap, UEFI alone; amd64: the recipe as written")
    func buildingFor() throws {
        let recipe = Recipe(name: "lab", architectures: [.amd64, .arm64]) { WebTerminal() }
        let arm = try recipe.building(for: .arm64)
        #expect(arm.architectures == [.arm64])
        #expect(arm.firmware == [.uefi])
        guard case .debianBootstrap(let spec) = arm.base else { Issue.record("not a bootstrap"); return }
        #expect(spec.architecture == .arm64)
        let amd = try recipe.building(for: .amd64)
        #expect(amd.firmware == Firmware.standard && amd.base == .defaultDebian && amd.architectures == [.amd64])
    }

    @Test("a foreign architecture on an upstream or local base is refused, naming the recipe")
    func refusals() {
        let local = Recipe(name: "local-lab", base: .localFile(path: "/tmp/x.qcow2", format: .qcow2), architectures: [.amd64, .arm64]) {}
        #expect(throws: RecipeError.self) { try local.validate() }
        do {
            _ = try local.building(for: .arm64)
            Issue.record("arm64 of a local disk was accepted")
        } catch {
            #expect("\(error)".contains("local-lab") && "\(error)".contains("arm64"))
        }
        #expect(throws: Never.self) { _ = try local.building(for: .amd64) }
    }

    @Test("the plan installs each architecture's own pinned ttyd; amd64's encodes as before (no variants)")
    func pinnedVariants() throws {
        let recipe = Recipe(name: "lab") { WebTerminal() }
        func ttyd(_ recipe: Recipe) -> PinnedArtifact? {
            for case .install(let requests) in recipe.plan.map(\.step) {
                if let request = requests.first(where: { $0.name == "ttyd" }) { return request.source.artifact }
            }
            return nil
        }
        let amd = try #require(ttyd(recipe))
        #expect(amd.fileName == "ttyd_1.7.7-8_amd64.deb" && amd.variants.isEmpty)
        let encoded = String(decoding: try JSONEncoder().encode(amd), as: UTF8.self)
        #expect(!encoded.contains("variants"))
        let arm = try #require(ttyd(try recipe.building(for: .arm64)))
        #expect(arm.fileName == "ttyd_1.7.7-8_arm64.deb")
        #expect(arm.sha256 == "7931c891d72b45e9273e56e0f54f0dfaa9f943d75ece4718b882ba64c17e7171")
        // A DebianBootstrap of amd64 encodes without an architecture key, so amd64 bases keep their cache keys.
        #expect(!String(decoding: try JSONEncoder().encode(DebianBootstrap()), as: UTF8.self).contains("architecture"))
        let decoded = try JSONDecoder().decode(DebianBootstrap.self, from: JSONEncoder().encode(DebianBootstrap(architecture: .arm64)))
        #expect(decoded.architecture == .arm64)
    }
}
