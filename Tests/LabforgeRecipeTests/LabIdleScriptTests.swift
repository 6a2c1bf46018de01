// The in-guest idle and time-limit watcher run for real on this host, one tick at a time: a scratch root (LAB_ROOT),
// a clock file the test moves (LAB_CLOCK), LAB_POWEROFF replacing `systemctl poweroff` by a marker file, and a real
// TCP listener and client on 127.0.0.1 as the session `ss` must see.
import Foundation
import LabforgeRecipe
import Testing
import TestSupport

private let canRunIdleScript =
    getuid() == 0 && ["/usr/bin/ss", "/usr/bin/timeout"].allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }

@Suite("lab-idle: idle stop and time limit, run for real")
struct LabIdleScriptTests {
    /// A listening socket on 127.0.0.1 (the kernel completes connections to it without accept: ESTABLISHED in `ss`).
    final class Listener: @unchecked Sendable {
        let socketDescriptor: Int32
        let port: Int

        init() throws {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) } }
            let named = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) } }
            socketDescriptor = descriptor
            port = Int(UInt16(bigEndian: address.sin_port))
            try #require(bound == 0 && named == 0 && listen(descriptor, 8) == 0)
        }

        /// A connected client socket.
        func connectClient() throws -> Int32 {
            let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = UInt16(port).bigEndian
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            try #require(connected == 0)
            return client
        }

        deinit { close(socketDescriptor) }
    }

    /// A scratch guest for the script: its clock, its terminals (one of the lab user's, one of root's), the marker.
    final class Guest: Sendable {
        let directory: TemporaryDirectory
        let script: String
        var root: String { directory.path }
        var poweredOff: Bool { FileManager.default.fileExists(atPath: root + "/powered-off") }

        init(_ idle: LabIdleScript) throws {
            directory = try TemporaryDirectory(prefix: "labforge-lab-idle")
            script = directory.appending("lab-idle")
            try idle.text.write(toFile: script, atomically: true, encoding: .utf8)
            try FileManager.default.createDirectory(atPath: directory.appending("dev/pts"), withIntermediateDirectories: true)
            for (pts, owner) in [("3", 65534), ("4", 0)] {
                try #require(FileManager.default.createFile(atPath: directory.appending("dev/pts/\(pts)"), contents: nil))
                try FileManager.default.setAttributes([.ownerAccountID: owner], ofItemAtPath: directory.appending("dev/pts/\(pts)"))
            }
        }

        /// One tick at `now` seconds of uptime: 0 stay, 10 stopping.
        func tick(at now: Int) async throws -> CommandResult {
            try "\(now)\n".write(toFile: directory.appending("clock"), atomically: true, encoding: .utf8)
            return try await Command.run(["sh", script], environment: [
                "LAB_ROOT": root, "LAB_CLOCK": directory.appending("clock"), "LAB_IDLE_ONCE": "1",
                "LAB_POWEROFF": "touch \(root)/powered-off",  // the test's stand-in for systemctl poweroff
            ])
        }

        func state() throws -> [String: Any] {
            let data = try Data(contentsOf: URL(fileURLWithPath: root + LabLifetime.statePath))
            return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        }

        /// Writes the override file (as root, the test's user) or removes it (nil).
        func override(_ text: String?, owner: Int = 0) throws {
            let path = root + LabLifetime.overridePath
            guard let text else { return try FileManager.default.removeItem(atPath: path) }
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.ownerAccountID: owner], ofItemAtPath: path)
        }

        func terminal(_ pts: String) throws -> String { try String(contentsOfFile: directory.appending("dev/pts/\(pts)"), encoding: .utf8) }
    }

    @Test(
        "idle: no connection for the window powers off, a warning reaches the lab user's terminal first; an open TCP connection to a listed port keeps it up and restarts the window",
        .enabled(if: canRunIdleScript, "needs root (to own fake terminals), ss and timeout"))
    func idleStop() async throws {
        let listener = try Listener()
        let guest = try Guest(LabIdleScript(
            idleStopSeconds: 90, timeLimitSeconds: 0, warningSeconds: 30, ports: [listener.port], user: "nobody", display: nil, intervalSeconds: 1))

        #expect(try await guest.tick(at: 1000).status == 0)
        var state = try guest.state()
        #expect(state["sessions"] as? Int == 0 && state["idleSince"] as? Int == 1000 && state["stopAt"] as? Int == 1090)
        #expect(state["reason"] as? String == "idle" && state["stopping"] as? Bool == false && state["idleStop"] as? Int == 90)

        #expect(try await guest.tick(at: 1070).status == 0)
        #expect(try guest.terminal("3").contains("*** This lab stops in 20 seconds: nobody has used it for 70 seconds. ***"))
        #expect(try guest.terminal("4").isEmpty)  // root's terminal is not the lab user's

        let client = try listener.connectClient()
        #expect(try await guest.tick(at: 1089).status == 0)
        state = try guest.state()
        #expect(state["sessions"] as? Int == 1 && state["idleSince"] is NSNull && state["stopAt"] is NSNull)
        #expect(try await guest.tick(at: 5000).status == 0)  // a session however long: stays
        #expect(!guest.poweredOff)

        close(client)
        #expect(try await guest.tick(at: 6000).status == 0)
        #expect(try guest.state()["idleSince"] as? Int == 6000)
        let stop = try await guest.tick(at: 6090)
        #expect(stop.status == 10 && stop.stdout.contains("no session for 90s: powering off"))
        #expect(guest.poweredOff)
        state = try guest.state()
        #expect(state["stopping"] as? Bool == true && state["reason"] as? String == "idle")
    }

    @Test(
        "time limit: past it the lab powers off even with a session open; warned before",
        .enabled(if: canRunIdleScript, "needs root (to own fake terminals), ss and timeout"))
    func timeLimit() async throws {
        let listener = try Listener()
        let client = try listener.connectClient()
        defer { close(client) }
        let guest = try Guest(LabIdleScript(
            idleStopSeconds: 0, timeLimitSeconds: 600, warningSeconds: 60, ports: [listener.port], user: "nobody", display: nil, intervalSeconds: 1))
        #expect(try await guest.tick(at: 100).status == 0)
        let state = try guest.state()
        #expect(state["stopAt"] as? Int == 600 && state["reason"] as? String == "time-limit")
        #expect(try guest.terminal("3").isEmpty)
        #expect(try await guest.tick(at: 550).status == 0)
        #expect(try guest.terminal("3").contains("This lab stops in 50 seconds: its time limit is reached."))
        let stop = try await guest.tick(at: 600)
        #expect(stop.status == 10 && stop.stdout.contains("the time limit of 600s is reached"))
        #expect(guest.poweredOff)
        #expect(try guest.state()["sessions"] as? Int == 1)
    }

    @Test(
        "override: a root-owned /run/lab/idle-override replaces the idle window at the next tick and changes the decision (idle.json shows the effective window); a value that is not an integer, an unknown key or another owner makes the tick ignore the file with a journal line, never running it; removing it restores the built-in window",
        .enabled(if: canRunIdleScript, "needs root (to own fake terminals), ss and timeout"))
    func override() async throws {
        let listener = try Listener()  // listening, nobody connected: no session
        let guest = try Guest(LabIdleScript(
            idleStopSeconds: 1800, timeLimitSeconds: 0, warningSeconds: 300, ports: [listener.port], user: "nobody", display: nil, intervalSeconds: 1))
        #expect(try await guest.tick(at: 1000).status == 0)
        var state = try guest.state()
        #expect(state["idleStop"] as? Int == 1800 && state["stopAt"] as? Int == 2800 && state["override"] as? Bool == false)

        // Not integers: the file is read as text, never run (the command substitution would leave a marker).
        try guest.override("idle_stop=$(touch \(guest.root)/executed)\nwarning=20\n")
        var tick = try await guest.tick(at: 1100)
        #expect(tick.status == 0 && !guest.poweredOff)
        #expect(tick.stdout.contains("lab-idle: ignoring \(guest.root + LabLifetime.overridePath): \"idle_stop=$(touch"))
        #expect(tick.stdout.contains("is not KEY=SECONDS") && tick.stdout.contains("keeping idle_stop=1800 time_limit=0 warning=300"))
        #expect(!FileManager.default.fileExists(atPath: guest.root + "/executed"))
        state = try guest.state()
        #expect(state["idleStop"] as? Int == 1800 && state["override"] as? Bool == false)
        for bad in ["idle_stop=060\n", "idle_stop=-5\n", "idle_stop=60\nsessions=1\n"] {
            try guest.override(bad)
            tick = try await guest.tick(at: 1100)
            #expect(tick.status == 0 && tick.stdout.contains("lab-idle: ignoring"), "\(bad.debugDescription)")
        }
        try guest.override("idle_stop=60\nwarning=20\n", owner: 65534)
        tick = try await guest.tick(at: 1100)
        #expect(tick.status == 0 && tick.stdout.contains("it is not owned by root"))

        // Root's override: at the same moment the shortened window has passed (idle since 1000): it stops now.
        try guest.override("# verify\nidle_stop=60\nwarning=20\n")
        tick = try await guest.tick(at: 1040)
        #expect(tick.status == 0 && tick.stdout.contains("applies: idle_stop=60 time_limit=0 warning=20"))
        state = try guest.state()
        #expect(state["idleStop"] as? Int == 60 && state["warning"] as? Int == 20 && state["stopAt"] as? Int == 1060)
        #expect(state["override"] as? Bool == true && state["stopping"] as? Bool == false)
        // Removed: the built-in window again (the same moment no longer stops).
        try guest.override(nil)
        #expect(try await guest.tick(at: 1100).status == 0)
        state = try guest.state()
        #expect(state["idleStop"] as? Int == 1800 && state["override"] as? Bool == false && !guest.poweredOff)
        try guest.override("idle_stop=60\n")
        let stop = try await guest.tick(at: 1100)
        #expect(stop.status == 10 && stop.stdout.contains("no session for 60s: powering off") && guest.poweredOff)
        state = try guest.state()
        #expect(state["stopping"] as? Bool == true && state["idleStop"] as? Int == 60 && state["warning"] as? Int == 300)
    }
}
