// Customizes a real Debian 13 disk with debian-desktop once, then checks every step's effect read-only
// with libguestfs, and qemu-img for the disk itself.
import Customize
import Foundation
import Guestfs
import LabforgeRecipe
import Recipes
import Testing
import TestSupport

@Suite("debian-desktop on a real Debian 13 base", .serialized)
struct DesktopDiskTests {
    /// Opens the shared customized disk read-only (close it with `shutdown()`).
    private func openShared() async throws -> Appliance {
        let built = try await SharedDesktopDisk.get()
        let appliance = try Appliance()
        try appliance.add(Drive(path: built.path, format: .qcow2, readOnly: true))
        try await appliance.launchOffPool()
        let system = try appliance.inspectOperatingSystem(diskName: built.path)
        try appliance.mountAll(system, readOnly: true)
        return appliance
    }

    private func text(_ appliance: Appliance, _ path: String) throws -> String {
        String(decoding: try appliance.readFile(path), as: UTF8.self)
    }

    @Test("the output is a standalone qcow2 and the base is untouched", .bootsVM)
    func outputDisk() async throws {
        let before = try FileManager.default.attributesOfItem(atPath: try await TestBase.path())
        let built = try await SharedDesktopDisk.get()
        let info = try await Command.check(["qemu-img", "info", "--output=json", built.path]).stdout
        #expect(info.contains("\"format\": \"qcow2\""))
        #expect(!info.contains("backing-filename"))
        try await Command.check(["qemu-img", "check", "-q", built.path])
        let after = try FileManager.default.attributesOfItem(atPath: try await TestBase.path())
        #expect(before[.modificationDate] as? Date == after[.modificationDate] as? Date)
        if let result = built.result {
            #expect(result.steps.count == Recipes.debianDesktop.plan.count)
            #expect(result.packageManager == "apt")
        }
    }

    @Test("every step is in the build log with its number", .bootsVM)
    func buildLog() async throws {
        let built = try await SharedDesktopDisk.get()
        let total = Recipes.debianDesktop.plan.count
        for number in 1...total { #expect(built.log.contains("[\(number)/\(total)]")) }
        // The desktop's packages (and the pinned ttyd) went in with the bootstrap, as labforge build does it: their steps
        // say so and run nothing in the appliance.
        let host = HostPackagePlan(plan: Recipes.debianDesktop.plan)
        #expect(!host.isEmpty)
        for number in host.steps {
            let line = built.log.split(separator: "\n").first { $0.contains("[\(number)/\(total)]") } ?? ""
            #expect(line.contains("ran on the host, in the base (mmdebstrap --include)"), "\(line)")
        }
    }

    @Test("user, files with modes and owners, cloud-init configuration", .bootsVM)
    func filesAndUser() async throws {
        let guest = try await openShared()
        defer { try? guest.shutdown() }
        let passwd = try text(guest, "/etc/passwd")
        #expect(passwd.contains("student:x:1000:1000:Lab Student:/home/student:/bin/bash"))
        #expect(try text(guest, "/etc/group").contains("users:x:100:student"))
        let home = try guest.status("/home/student")
        #expect(home.uid == 1000 && home.isDirectory)
        let config = try guest.status(CloudInit.configPath)
        #expect(config.permissions == 0o644 && config.uid == 0)
        #expect(try text(guest, CloudInit.configPath).contains("datasource_list: [ NoCloud, ConfigDrive, None ]"))
        let unit = try guest.status("/etc/systemd/system/\(WebTerminal.unitName)")
        #expect(unit.permissions == 0o644 && unit.uid == 0 && unit.gid == 0)
        #expect(try text(guest, "/etc/systemd/system/\(WebTerminal.unitName)").contains("ExecStart=\(WebTerminal.scriptPath)"))
        // The start script serves only with the credential given at boot; the image holds none.
        let script = try guest.status(WebTerminal.scriptPath)
        #expect(script.permissions == 0o755 && script.uid == 0)
        #expect(try text(guest, WebTerminal.scriptPath).contains("--writable --credential \"$credential\""))
        #expect(try !guest.exists(BootCredentials.imageDirectory + "/" + BootCredentials.terminalKey))
    }

    @Test("ttyd, the VNC server, websockify, noVNC and the Xfce desktop are installed, without nodejs", .bootsVM)
    func packages() async throws {
        let guest = try await openShared()
        defer { try? guest.shutdown() }
        for binary in [
            "/usr/bin/ttyd", "/usr/bin/Xtigervnc", "/usr/bin/websockify", "/usr/bin/cloud-init", "/usr/bin/startxfce4", "/usr/bin/xfce4-panel",
            "/usr/bin/thunar", "/usr/bin/xfce4-terminal", "/usr/bin/mousepad", "/usr/bin/firefox-esr", "/usr/bin/xclip", "/usr/bin/sz", "/usr/bin/rz",
        ] {
            #expect(try guest.exists(binary), "\(binary) missing")
        }
        #expect(try guest.isFile("/usr/share/novnc/vnc.html"))
        #expect(try guest.readLink("/usr/share/novnc/index.html") == "vnc.html")
        #expect(try text(guest, WebDesktop.noVNCDefaultsPath) == WebDesktop.noVNCDefaultsJSON)
        #expect(try text(guest, WebDesktop.sessionScriptPath).contains("XFCE_PANEL_MIGRATE_DEFAULT=1"))
        #expect(try !guest.exists("/usr/bin/node"))
        let status = try text(guest, "/var/lib/dpkg/status")
        #expect(status.contains("Package: ttyd\nStatus: install ok installed"))
        #expect(status.contains("Package: libwebsockets-evlib-uv\nStatus: install ok installed"))
    }

    @Test("agent units are enabled by symlinks; Debian's own ttyd.service is not", .bootsVM)
    func units() async throws {
        let guest = try await openShared()
        defer { try? guest.shutdown() }
        let wants = "/etc/systemd/system/multi-user.target.wants"
        for unit in [WebTerminal.unitName, WebDesktop.unitNames.vnc, WebDesktop.unitNames.session, WebDesktop.unitNames.novnc, BootCredentials.unitName] {
            #expect(try guest.readLink("\(wants)/\(unit)") == "/etc/systemd/system/\(unit)")
        }
        #expect(try !guest.exists("\(wants)/ttyd.service"))
        #expect(try text(guest, WebDesktop.scriptPath).contains("-localhost"))
        #expect(try text(guest, WebDesktop.scriptPath).contains("-SecurityTypes VncAuth"))
        #expect(try guest.exists("/usr/bin/tigervncpasswd"))
    }

    @Test("sysprepped: empty machine-id, no host keys, no cloud-init state, no caches, lists, logs, temp files, seed", .bootsVM)
    func sysprepped() async throws {
        let guest = try await openShared()
        defer { try? guest.shutdown() }
        let machineID = try guest.status("/etc/machine-id")
        #expect(machineID.size == 0)
        #expect(try guest.glob("/etc/ssh/ssh_host_*").isEmpty)
        #expect(try guest.exists("/etc/systemd/system/ssh.service.d/10-labforge-hostkeys.conf"))
        #expect(try guest.glob("/var/lib/cloud/instances/*").isEmpty)
        #expect(try !guest.exists("/var/lib/cloud/instance"))
        #expect(try guest.glob("/var/cache/apt/archives/*.deb").isEmpty)
        #expect(try guest.glob("/var/lib/apt/lists/*_Packages").isEmpty)
        #expect(try !guest.exists("/var/lib/systemd/random-seed"))
        #expect(try guest.list("/tmp").isEmpty)
        for log in try guest.glob("/var/log/*") where try guest.isFile(log) {
            #expect(try guest.status(log).size == 0, "\(log) not truncated")
        }
    }
}
