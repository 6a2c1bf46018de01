// End to end: boot the built debian-desktop image under TCG and run every probe;
// then break ttyd in a copy and check that verification fails naming it, with no qemu left behind.
import Foundation
import Testing
import TestSupport

/// The debian-desktop disk the customization tests build (shared through TestSupport, built once per
/// machine and test run); `LABFORGE_E2E_DESKTOP_DISK` points at another built disk instead.
enum SharedDisks {
    static func desktop() async throws -> String {
        if let explicit = ProcessInfo.processInfo.environment["LABFORGE_E2E_DESKTOP_DISK"] { return explicit }
        return try await SharedDesktopDisk.get().path
    }
}

/// At most two TCG boots per run: one passing, one failing.
@Suite("labforge verify end to end (TCG boots)", .serialized)
struct EndToEndVerifyTests {
    @Test(
        "a built lab image passes every probe: ttyd shell, RFB banner, SSH command, cloud-init, guest-ping",
        .timeLimit(.minutes(60)), .bootsVM)
    func verifiesBuiltImage() async throws {
        let scratch = try TemporaryDirectory(prefix: "labforge-verify-e2e")
        let disk = try await SharedDisks.desktop()
        let probes = ["--recipe", "debian-desktop"]
        let checksumBefore = try await Command.check(["sha256sum", disk]).stdout
        let report = scratch.appending("verify.json")
        let console = scratch.appending("build.log")
        let run = try await VMSlots.hold {
            let run = try LabforgeRun(
                ["verify", disk] + probes + ["--json", "--report", report, "--console-log", console, "--timeout", "420", "--pictures", scratch.path],
                in: scratch.path)
            await run.waitForExit()
            return run
        }
        #expect(run.status == 0, "stdout: \(run.stdout)\nstderr: \(run.stderr.suffix(3000))")
        let json = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        #expect(json?["passed"] as? Bool == true)
        let results = json?["results"] as? [[String: Any]] ?? []
        let names = results.compactMap { $0["probe"] as? String }
        // Under UEFI Secure Boot (as KubeVirt's debian preference starts it) every probe and the guest's SecureBoot
        // variable; under BIOS, beside it, the web terminal (401 without, a shell with the boot credential).
        // Then issue 27's proofs of what the Xfce desktop and the terminal promise a student.
        let expected = [
            "web-terminal", "web-desktop", "file-transfer", "desktop-session", "desktop-resize", "clipboard", "ssh", "cloud-init", "guest-agent",
            "secure-boot", "web-terminal (bios)",
        ]
        #expect(names == expected)
        func detail(_ probe: String) -> String { results.first { $0["probe"] as? String == probe }?["detail"] as? String ?? "" }
        #expect(detail("desktop-session").contains("xfce4-panel runs as student"), "\(detail("desktop-session"))")
        #expect(detail("desktop-session").contains(" with libapplicationsmenu.so, libclock.so loaded"), "\(detail("desktop-session"))")
        #expect(detail("desktop-resize").contains("→ status 0"), "\(detail("desktop-resize"))")
        #expect(detail("desktop-resize").contains("back to 1280x800"), "\(detail("desktop-resize"))")
        #expect(detail("clipboard").contains("in the X clipboard of :1"), "\(detail("clipboard"))")
        #expect(detail("clipboard").contains("came back as ServerCutText"), "\(detail("clipboard"))")
        #expect(detail("file-transfer").contains("enableZmodem: true"), "\(detail("file-transfer"))")
        #expect(detail("file-transfer").contains("→ ZRQINIT"), "\(detail("file-transfer"))")
        let boots = json?["firmware"] as? [[String: Any]] ?? []
        #expect(boots.map { $0["firmware"] as? String ?? "?" } == ["uefi-secure-boot", "bios"])
        #expect(boots.allSatisfy { $0["passed"] as? Bool == true })
        #expect(boots.first?["secureBoot"] as? Bool == true, "the guest read SecureBoot = 1")
        let biosTerminal = results.first { $0["probe"] as? String == "web-terminal (bios)" }
        let biosDetail = (biosTerminal?["detail"] as? String) ?? ""
        #expect(biosDetail.contains("no credentials → 401, wrong → 401"), "\(biosDetail)")
        for result in results { print("verify e2e: \(result["probe"]!) \(result["seconds"]!) s: \(result["detail"]!)") }
        do {
            // The agents were proven to ask for the credentials the VM was given at boot, and for nothing less.
            let terminal = results.first { $0["probe"] as? String == "web-terminal" }
            let terminalDetail = (terminal?["detail"] as? String) ?? ""
            #expect(terminalDetail.contains("no credentials → 401, wrong → 401"), "\(terminalDetail)")
            #expect(terminal?["auth"] as? String == "basic (boot credential)")
            let desktop = results.first { $0["probe"] as? String == "web-desktop" }
            let detail = desktop?["detail"] as? String ?? ""
            #expect(detail.contains("RFB 003.00"))
            #expect(detail.contains("security types [VncAuth], VncAuth accepted"), "\(detail)")
            #expect(detail.contains("wrong password → SecurityResult failed"))
            #expect(desktop?["auth"] as? String == "VNC password (boot)")
            // The pictures: the desktop through websockify as a PNG of the ServerInit size (Python's zlib decodes it),
            // and the terminal's first screen with the probe's answer.
            #expect(detail.contains("; picture "), "\(detail)")
            let pictures = json?["pictures"] as? [String: String]
            let png = try #require(pictures?["desktop"])
            let size = try await Command.run(["python3", "-c", """
                import sys, struct, zlib
                d = open(sys.argv[1], 'rb').read(); assert d[:8] == b'\\x89PNG\\r\\n\\x1a\\n'
                w, h = struct.unpack('>II', d[16:24]); pos = 8; idat = b''
                while pos < len(d):
                    n, k = struct.unpack('>I4s', d[pos:pos+8]); idat += d[pos+8:pos+8+n] if k == b'IDAT' else b''; pos += 12 + n
                raw = zlib.decompress(idat); stride = w * 3; counts = {}; light = 0
                for y in range(h):
                    row = raw[y * (stride + 1):(y + 1) * (stride + 1)]; assert row[0] == 1, 'Sub filter expected'
                    line = bytearray(row[1:])
                    for i in range(3, stride): line[i] = (line[i] + line[i - 3]) & 255
                    for x in range(0, stride, 3): key = bytes(line[x:x + 3]); counts[key] = counts.get(key, 0) + 1
                    if y < 26: light += sum(1 for x in range(0, stride, 3) if 299 * line[x] + 587 * line[x + 1] + 114 * line[x + 2] > 160000)
                print('%dx%d %d %d %.3f' % (w, h, len(raw), light, max(counts.values()) / float(w * h)))
                """, png])
            #expect(size.status == 0, "\(size.stderr)")
            let fields = size.stdout.split(separator: " ").map { String($0).trimmingCharacters(in: .whitespacesAndNewlines) }
            let dimensions = fields.first ?? "?"
            #expect(detail.contains("ServerInit \(dimensions) "), "\(size.stdout) vs \(detail)")
            // The picture the catalog shows is the desktop the session proof passed: not one colour (under 90 %).
            let commonest = Double(fields.last ?? "1") ?? 1
            #expect(commonest < 0.9, "the desktop picture is \(commonest * 100) % one colour")
            // Xfce's top panel (26 px) is drawn light, its menu, pager and clock on it: a picture taken before the
            // panel drew its plugins (as the catalog's once was) shows the dark wallpaper through an empty bar there,
            // not one light pixel.
            let panelLight = fields.count == 4 ? Int(fields[2]) ?? 0 : 0
            #expect(panelLight > 1280 * 26 / 2, "light pixels in the picture's top 26 rows (the panel): \(panelLight) of \(1280 * 26)")
            let screen = (try? String(contentsOfFile: pictures?["terminal"] ?? "-", encoding: .utf8)) ?? ""
            #expect(screen.contains("LABFORGE_PROBE_42"), "\(screen)")
            print("verify e2e pictures: \(png) (\(size.stdout.trimmingCharacters(in: .whitespacesAndNewlines))), terminal screen:\n\(screen)")
        }
        #expect(FileManager.default.fileExists(atPath: report))
        // The serial console went into the build log.
        let log = (try? String(contentsOfFile: console, encoding: .utf8)) ?? ""
        #expect(log.contains("serial console"))
        #expect(log.localizedCaseInsensitiveContains("linux"))
        #expect(run.survivors(after: 10).isEmpty)
        // The disk under test was only read.
        #expect(try await Command.check(["sha256sum", disk]).stdout == checksumBefore)
    }

    @Test(
        "a disk whose ttyd unit is disabled fails verification naming web-terminal, and leaves no qemu behind",
        .timeLimit(.minutes(60)), .bootsVM)
    func disabledTerminalFails() async throws {
        let scratch = try TemporaryDirectory(prefix: "labforge-verify-e2e")
        let broken: String
        do {
            let desktop = try await SharedDisks.desktop()
            // A copy-on-write child of the shared disk with ttyd masked (libguestfs' own guestfish, under TCG): the
            // WebTerminal agent's unit (`lab-terminal.service`) and Debian's own `ttyd.service`.
            broken = scratch.appending("no-ttyd.qcow2")
            try await Command.check(["qemu-img", "create", "-q", "-f", "qcow2", "-b", desktop, "-F", "qcow2", broken])
            try await Command.check(
                [
                    "guestfish", "--rw", "-a", broken, "-i", "ln-sf", "/dev/null", "/etc/systemd/system/ttyd.service", ":",
                    "ln-sf", "/dev/null", "/etc/systemd/system/lab-terminal.service",
                ],
                environment: ["LIBGUESTFS_BACKEND": "direct", "LIBGUESTFS_BACKEND_SETTINGS": "force_tcg"])
        }
        let (run, qemu) = try await VMSlots.hold {
            let run = try LabforgeRun(
                ["verify", broken, "--probe", "web-terminal", "--probe", "ssh", "--probe-timeout", "240", "--timeout", "300"],
                in: scratch.path)
            let qemu = try await run.waitForQemu(seconds: 60)
            await run.waitForExit()
            return (run, qemu)
        }
        #expect(qemu != nil)
        #expect(run.status != 0)
        // Under both firmwares the disk boots and the terminal fails: probes, not a boot failure.
        #expect(run.stderr.contains("probe(s) web-terminal, web-terminal (bios) did not pass"), "stderr: \(run.stderr.suffix(3000))")
        #expect(!run.stderr.contains("did not boot under"))
        #expect(run.stdout.range(of: #"web-terminal +FAILED"#, options: .regularExpression) != nil, "stdout: \(run.stdout)")
        #expect(run.stdout.range(of: #"ssh +ok"#, options: .regularExpression) != nil, "stdout: \(run.stdout)")
        #expect(run.survivors(after: 10).isEmpty, "qemu outlived labforge")
    }
}
