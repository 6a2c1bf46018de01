// Tests open libguestfs appliances to read what a build wrote; the launch boots a small VM (a minute under TCG on a
// loaded machine) and must not hold one of the cooperative pool's two threads meanwhile.
import Guestfs
import Reporting

extension Appliance {
    /// Launches the appliance on a thread of its own, holding a ``VMSlots`` slot while it boots, and resumes the
    /// caller when it is up.
    /// - Throws: What ``Appliance/launch()`` throws.
    public func launchOffPool() async throws {
        try await VMSlots.hold { try await DedicatedThread.run(name: "test.appliance") { try self.launch() } }
    }
}
