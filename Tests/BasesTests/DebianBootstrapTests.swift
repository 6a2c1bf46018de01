// The bootstrapped default base, inspected with libguestfs: Debian 13, kernel, the boot chain for UEFI and BIOS, first-boot config.
import Bases
import DiskImage
import Foundation
import Guestfs
import LabforgeRecipe
import Testing
import TestSupport

@Suite("Debian bootstrap", .serialized)
struct DebianBootstrapTests {
    @Test("the shared base is Debian 13 with a kernel, shim and signed GRUB on a GPT ESP, GRUB for BIOS, Debian's grub.cfg and first-boot config", .timeLimit(.minutes(60)), .bootsVM)
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
        #expect(try appliance.partitions() == ["/dev/sda1", "/dev/sda14", "/dev/sda15"])
        #expect(try appliance.filesystemLabel("/dev/sda1") == "rootfs")
        let rootUUID = try appliance.filesystemUUID("/dev/sda1")
        try appliance.mountAll(system, readOnly: true)

        for path in ["/vmlinuz", "/initrd.img", "/boot/grub/grub.cfg", "/boot/grub/i386-pc/core.img", "/boot/grub/i386-pc/normal.mod",
                     "/etc/kernel/postinst.d/zz-update-grub", "/usr/sbin/update-grub", "/etc/default/grub.d/50-labforge.cfg"] {
            #expect(try appliance.exists(path), "\(path) missing")
        }
        #expect(try appliance.readLink("/vmlinuz").hasPrefix("boot/vmlinuz-"))
        // Debian's grub-mkconfig wrote the config (its kernel hook rewrites it on every kernel install): the root by
        // UUID, the serial console, no menu wait.
        let grub = String(decoding: try appliance.readFile("/boot/grub/grub.cfg"), as: UTF8.self)
        #expect(grub.contains("### BEGIN /etc/grub.d/10_linux ###"))
        #expect(grub.contains("root=UUID=\(rootUUID) ro console=tty0 console=ttyS0,115200n8"))
        #expect(grub.contains("search --no-floppy --fs-uuid --set=root"))
        #expect(grub.contains("set timeout=0"))
        // The build-time grub-probe stand-in is gone: the guest's own binary is back.
        #expect(try appliance.readFile("/usr/sbin/grub-probe").prefix(4) == Data([0x7F, 0x45, 0x4C, 0x46]))
        #expect(try !appliance.exists("/usr/sbin/grub-probe.labforge-real"))
        let fstab = String(decoding: try appliance.readFile("/etc/fstab"), as: UTF8.self)
        #expect(fstab.contains("LABEL=rootfs"))
        let shim = try appliance.checksum("sha256", of: "/usr/lib/shim/shimx64.efi.signed")
        let signedGrub = try appliance.checksum("sha256", of: "/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed")
        let bootImage = try appliance.readFile("/boot/grub/i386-pc/boot.img")

        // GRUB's boot sector (BIOS): boot.img's code up to its patched fields, the protective MBR's signature.
        let sector = try appliance.readDevice("/dev/sda", count: 512, offset: 0)
        #expect(Data(sector.prefix(0x5C)) == bootImage.prefix(0x5C))
        #expect(sector[510] == 0x55 && sector[511] == 0xAA)
        // The EFI system partition: Debian's shim at the removable-media path, its signed GRUB beside it, the stub.
        try appliance.unmountAll()
        try appliance.mountReadOnly("/dev/sda15")
        #expect(try appliance.checksum("sha256", of: "/EFI/BOOT/BOOTX64.EFI") == shim)
        #expect(try appliance.checksum("sha256", of: "/EFI/BOOT/grubx64.efi") == signedGrub)
        #expect(try appliance.exists("/EFI/BOOT/mmx64.efi"))
        #expect(try !appliance.exists("/EFI/BOOT/fbx64.efi"), "no fallback: it would write NVRAM entries and reset on every fresh-NVRAM start")
        #expect(String(decoding: try appliance.readFile("/EFI/debian/grub.cfg"), as: UTF8.self).contains("search.fs_uuid \(rootUUID) root"))
        try appliance.unmountAll()
        try appliance.mountAll(system, readOnly: true)

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
        // Speed is for `make bench` (bench/bases.sh); here every lookup must be the cached file, not a build.
        let median = durations.sorted()[durations.count / 2]
        print("cached base lookup: median \(median) over \(durations.count) resolves")
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
