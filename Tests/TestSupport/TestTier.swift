// Test tiers: `make check` runs what needs no VM; `make test` runs everything.
import Foundation
import Testing

/// Which tier this test run is: `LABFORGE_TEST_TIER=check` (set by `make check`) is the fast tier.
public enum TestTier {
    /// Whether only the fast tier runs: unit tests and integration tests against real tools that start in
    /// seconds (registry, skopeo, umoci, cosign, Chromium, Xtigervnc), but no VM.
    public static var isFastOnly: Bool { ProcessInfo.processInfo.environment["LABFORGE_TEST_TIER"] == "check" }

    /// Fails a fast-tier run that reaches a VM: called by the shared fixtures that boot one, so a test that
    /// lacks ``Testing/Trait/bootsVM`` cannot slip a VM into `make check`.
    public static func requireVMTier(_ what: String) throws {
        if isFastOnly { throw TierError(fixture: what) }
    }

    /// A fast-tier test reached a fixture that boots a VM.
    public struct TierError: Error, CustomStringConvertible {
        /// The fixture.
        public var fixture: String
        public var description: String {
            "\(fixture) boots a VM, which `make check` (LABFORGE_TEST_TIER=check) does not run: mark the test `.bootsVM`"
        }
    }
}

extension Trait where Self == ConditionTrait {
    /// Marks a test or suite that boots a VM — a libguestfs appliance or a qemu guest — or bootstraps a base
    /// with mmdebstrap: `make check` skips it, `make test` runs it.
    public static var bootsVM: Self {
        .disabled(if: TestTier.isFastOnly, "boots a VM or bootstraps a base: run by `make test`, not by `make check`")
    }
}
