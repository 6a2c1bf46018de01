// The bootstrapped default base, inspected with libguestfs: Debian 13, kernel, EXTLINUX, first-boot config.
import Bases
import DiskImage
import Foundation
import Guestfs
import LabforgeRecipe
import Testing
import TestSupport

@Suite("Debian bootstrap", .serialized)
struct DebianBootstrapTests {
    @Test("the shared base is Debian 13 with a kernel, EXTLINUX, MBR boot code and first-boot config", .timeLimit(.minutes(60)), .bootsVM)
    func sharedBaseIsBootableDebian13() async throws {
        let base = try await SharedDebianBase.resolved()
        #expect(base.format == .qcow2)
        #expect(base.identity.hasPrefix("debian-bootstrap:debian-trixie-"))
        let attributes = try FileManager.default.attributesOfItem(atPath: base.path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == Int(FileAccess.readOnlyDiskFileMode), "cached bases are read-only (0440)")

        let appliance = try Appliance()
        try appliance.add(Drive(path: base.path, format: .qcow2, readOnly: true))
        try await appliance.launchOffPool()
        let system = try appliance.inspectOperatingSystem(diskName: base.path)
        #expect(system.distro == "debian")
        #expect(system.majorVersion == 13)
        #expect(system.arch == "x86_64")
        #expect(try appliance.filesystemLabel("/dev/sda1") == "rootfs")
        try appliance.mountAll(system, readOnly: true)

        for path in ["/vmlinuz", "/initrd.img", "/boot/extlinux/extlinux.conf", "/boot/extlinux/ldlinux.sys", "/boot/extlinux/ldlinux.c32"] {
            #expect(try appliance.exists(path), "\(path) missing")
        }
        #expect(try appliance.readLink("/vmlinuz").hasPrefix("boot/vmlinuz-"))
        let extlinux = String(decoding: try appliance.readFile("/boot/extlinux/extlinux.conf"), as: UTF8.self)
        #expect(extlinux.contains("root=LABEL=rootfs"))
        #expect(extlinux.contains("console=ttyS0,115200n8"))
        let fstab = String(decoding: try appliance.readFile("/etc/fstab"), as: UTF8.self)
        #expect(fstab.contains("LABEL=rootfs"))

        // The 440 bytes of boot code before the partition table are syslinux's mbr.bin.
        let mbrCode = try Data(contentsOf: URL(fileURLWithPath: "/usr/lib/EXTLINUX/mbr.bin"))
        let sector = try appliance.readDevice("/dev/sda", count: 512, offset: 0)
        #expect(Data(sector.prefix(mbrCode.count)) == mbrCode)
        #expect(sector[510] == 0x55 && sector[511] == 0xAA)

        let network = String(decoding: try appliance.readFile("/etc/systemd/network/10-dhcp.network"), as: UTF8.self)
        #expect(network.contains("Name=en* eth*") && network.contains("DHCP=yes"))
        #expect(try appliance.exists("/etc/systemd/system/multi-user.target.wants/systemd-networkd.service"))
        let cloud = String(decoding: try appliance.readFile("/etc/cloud/cloud.cfg.d/90-labforge.cfg"), as: UTF8.self)
        #expect(cloud.contains("locale: false"))
        #expect(try appliance.exists("/etc/systemd/system/ssh.service.d/10-hostkeys.conf"))
        #expect(try appliance.glob("/etc/ssh/ssh_host_*").isEmpty)
        #expect(try appliance.status("/etc/machine-id").size == 0)
        for binary in ["/usr/sbin/sshd", "/usr/bin/cloud-init", "/usr/sbin/qemu-ga", "/usr/lib/systemd/systemd-networkd"] {
            #expect(try appliance.exists(binary), "\(binary) missing")
        }
        try appliance.unmountAll()
        try appliance.shutdown()
    }

    @Test("labforge base bootstrap --output copies the cached base into a writable qcow2", .timeLimit(.minutes(60)), .bootsVM)
    func cliBootstrapUsesTheCache() async throws {
        let base = try await SharedDebianBase.resolved()
        let scratch = try TemporaryDirectory(prefix: "labforge-bootstrap-cli")
        defer { scratch.remove() }
        let output = scratch.appending("base.qcow2")
        let result = try await Command.labforge(["base", "bootstrap", "--output", output, "--cache-dir", SharedDebianBase.cache.root, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        // The run itself, not its wait for a VM slot.
        #expect(result.seconds < 60, "a cached base must not be rebuilt")
        #expect(result.stdout.contains("\"wasCached\" : true"))
        #expect(result.stdout.contains(base.path))
        #expect(FileManager.default.isWritableFile(atPath: output))
        try await Command.check(["qemu-img", "compare", "-q", base.path, output])
    }

    @Test("a cached base is found in well under 50 ms", .timeLimit(.minutes(60)), .bootsVM)
    func cachedLookupIsFast() async throws {
        let base = try await SharedDebianBase.resolved()
        let store = await SharedDebianBase.store
        var durations: [Duration] = []
        for _ in 0..<20 {
            let started = ContinuousClock.now
            let again = try await store.resolve(.defaultDebian)
            durations.append(ContinuousClock.now - started)
            #expect(again.path == base.path && again.wasCached)
        }
        let median = durations.sorted()[durations.count / 2]
        print("cached base lookup: median \(median) over \(durations.count) resolves")
        #expect(median < .milliseconds(50), "median lookup \(median)")
    }

    @Test("the cache key changes with suite, packages, size and labforge version, not package order")
    func cacheKeys() {
        let store = BaseImageStore(cache: CacheDirectory(root: "/nonexistent"), toolVersion: "1")
        let plain = store.cacheKey(for: DebianBootstrap())
        #expect(plain.hasPrefix("debian-trixie-"))
        #expect(store.cacheKey(for: DebianBootstrap(extraPackages: ["vim", "curl"])) == store.cacheKey(for: DebianBootstrap(extraPackages: ["curl", "vim"])))
        #expect(store.cacheKey(for: DebianBootstrap(extraPackages: ["curl"])) != plain)
        #expect(store.cacheKey(for: DebianBootstrap(diskSizeGiB: 8)) != plain)
        #expect(store.cacheKey(for: DebianBootstrap(suite: "bookworm")).hasPrefix("debian-bookworm-"))
        #expect(BaseImageStore(cache: CacheDirectory(root: "/nonexistent"), toolVersion: "2").cacheKey(for: DebianBootstrap()) != plain)
    }
}
