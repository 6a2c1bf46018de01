// The configuration files a bootstrapped Debian base carries, and the mmdebstrap hook that installs them.
import LabforgeRecipe

/// Files written into the root tree by the customize hook and onto the disk by the assembler.
///
/// Each one fixes a pitfall measured in the prototype (../shared/prototype/REPORT.md).
enum DebianBootstrapFiles {
    /// Packages every bootstrapped base has: Debian's signed kernel, the signed boot chain (shim, GRUB for UEFI and
    /// BIOS, `update-grub` and its kernel hook), init, network, ssh, cloud-init, guest agent.
    static let basePackages = [
        "linux-image-cloud-amd64", "shim-signed", "grub-efi-amd64-signed", "grub-pc-bin", "grub2-common",
        "systemd-sysv", "udev", "systemd-resolved", "dbus", "openssh-server",
        "cloud-init", "cloud-guest-utils", "qemu-guest-agent", "iproute2", "sudo", "less", "netbase",
    ]

    /// The packages of every base that are not the boot chain (init, network, ssh, cloud-init, guest agent, tools).
    private static var systemPackages: [String] { Array(basePackages.drop { !$0.hasPrefix("systemd-sysv") }) }

    /// The base packages of an architecture: amd64's ``basePackages``; on arm64 Debian's signed cloud kernel for arm64
    /// and Debian's signed GRUB for arm64 UEFI (no shim: KubeVirt's arm64 VMs boot UEFI without Secure Boot, so
    /// nothing checks the chain GRUB would be verified for; no BIOS GRUB: arm64 has no BIOS).
    /// - Parameter architecture: The tree's architecture.
    /// - Returns: Package names.
    static func basePackages(for architecture: Architecture) -> [String] {
        switch architecture {
        case .amd64: return basePackages
        case .arm64: return ["linux-image-cloud-arm64", "grub-efi-arm64-signed", "grub2-common"] + systemPackages
        }
    }

    /// The files kept out by dpkg on an architecture: amd64's ``dpkgExcludes``; on arm64 the same kinds of file in
    /// GRUB's arm64 directories (no shim is installed there).
    /// - Parameter architecture: The tree's architecture.
    /// - Returns: dpkg `path-exclude` options.
    static func dpkgExcludes(for architecture: Architecture) -> [String] {
        switch architecture {
        case .amd64: return dpkgExcludes
        case .arm64:
            return [
                "path-exclude=/usr/lib/grub/arm64-efi-signed/grubnet*", "path-exclude=/usr/lib/grub/arm64-efi-signed/gcd*",
                "path-exclude=/usr/lib/grub/arm64-efi/monolithic/*",
                "path-exclude=/usr/share/grub/unicode.pf2", "path-exclude=/usr/share/locale/*/LC_MESSAGES/grub.mo",
            ]
        }
    }

    /// Files the boot chain's packages ship that a lab disk never uses, kept out by dpkg (and by later upgrades in
    /// the guest: mmdebstrap leaves the options in `/etc/dpkg/dpkg.cfg.d/`): GRUB's signed network-boot and CD images
    /// (6.9 MB), the unsigned monolithic GRUB images they are made from (9.7 MB), shim's unsigned binaries (2.8 MB;
    /// the ESP gets the signed ones), GRUB's font (2.4 MB; the terminal is text and serial) and its translations
    /// (5 MB; the menu is never shown). Measured on debian-desktop: 41 MB of new files without these.
    static let dpkgExcludes = [
        "path-exclude=/usr/lib/grub/x86_64-efi-signed/grubnet*", "path-exclude=/usr/lib/grub/x86_64-efi-signed/gcd*",
        "path-exclude=/usr/lib/grub/x86_64-efi/monolithic/*", "path-exclude=/usr/lib/shim/*.efi",
        "path-exclude=/usr/share/grub/unicode.pf2", "path-exclude=/usr/share/locale/*/LC_MESSAGES/grub.mo",
    ]

    /// Filesystem label of the root filesystem; fstab and the kernel command line find it by this.
    static let rootLabel = "rootfs"

    /// DHCP on the first NIC whatever its name (`enp1s0` under q35/KubeVirt, `eth0` elsewhere).
    static let dhcpNetwork = """
        [Match]
        Name=en* eth*

        [Network]
        DHCP=yes

        """

    /// cloud-init: NoCloud (KubeVirt cloudInitNoCloud) or ConfigDrive; networkd owns the network; no
    /// locale module, which fails without the `locales` package and degrades the boot.
    static let cloudConfig = """
        # Written by labforge: datasources KubeVirt offers, network left to systemd-networkd.
        datasource_list: [ NoCloud, ConfigDrive, None ]
        network:
          config: disabled
        locale: false

        """

    /// Host keys are deleted at build time; Debian's sshd does not make new ones by itself.
    static let sshHostKeys = """
        # Written by labforge: host keys are made on first start, with or without cloud-init.
        [Service]
        ExecStartPre=
        ExecStartPre=/usr/bin/ssh-keygen -A
        ExecStartPre=/usr/sbin/sshd -t

        """

    /// GRUB's settings for `grub-mkconfig` (a drop-in: `/etc/default/grub` stays Debian's): no menu wait, the serial
    /// console for TCG boots and `virtctl console`, kernel messages visible (no `quiet`), no other OS to look for.
    static var grubDefaults: String { grubDefaults(for: .amd64) }

    /// GRUB's settings on an architecture (``grubDefaults`` is amd64's). The kernel's serial console is
    /// ``serialConsole(for:)``; on amd64 GRUB drives COM1 itself as well, on arm64 it writes to the firmware's console
    /// only (AAVMF puts it on the PL011; GRUB's own serial driver has no PL011 port to name).
    /// - Parameter architecture: The tree's architecture.
    /// - Returns: The drop-in's text.
    static func grubDefaults(for architecture: Architecture) -> String {
        let terminal = architecture == .amd64
            ? "GRUB_TERMINAL=\"console serial\"\nGRUB_SERIAL_COMMAND=\"serial --unit=0 --speed=115200\"" : "GRUB_TERMINAL=\"console\""
        return """
            # Written by labforge: lab VMs boot at once, with the serial console (virtctl console) and kernel messages.
            GRUB_TIMEOUT=0
            GRUB_CMDLINE_LINUX_DEFAULT=""
            GRUB_CMDLINE_LINUX="console=tty0 console=\(serialConsole(for: architecture)),115200n8"
            \(terminal)
            GRUB_DISABLE_OS_PROBER=true

            """
    }

    /// The kernel's name of the serial console KubeVirt and qemu give a VM: `ttyS0` (16550) on amd64, `ttyAMA0`
    /// (PL011) on arm64.
    /// - Parameter architecture: The VM's architecture.
    /// - Returns: The device name.
    static func serialConsole(for architecture: Architecture) -> String {
        switch architecture {
        case .amd64: return "ttyS0"
        case .arm64: return "ttyAMA0"
        }
    }

    /// The boot hook: runs on the host with the tree as `$1`, after every package is in. It has Debian's own
    /// `grub-mkconfig` write `/boot/grub/grub.cfg` — the file the kernel packages' hook (`zz-update-grub`) rewrites on
    /// every kernel install, so an upgraded kernel boots next under UEFI and BIOS alike — and the tree's
    /// `grub-mkimage` make the BIOS core image, as `grub-install` would. Neither can probe a disk that does not exist
    /// yet, so while `grub-mkconfig` runs, `grub-probe` is a stand-in that answers what the real one will say of the
    /// finished disk (ext4 root with `rootUUID` in a GPT partition); the real one is put back before the hook ends.
    /// - Parameter rootUUID: The root file system's UUID (``HostDiskLayout/uuid``).
    static func bootLoaderScript(rootUUID: String) -> String {
        grubConfigScript(rootUUID: rootUUID) + biosCoreImageScript(rootUUID: rootUUID)
    }

    /// The boot hook of an architecture: amd64's ``bootLoaderScript(rootUUID:)``; on arm64 (UEFI alone) only its
    /// `grub-mkconfig` part, run under qemu-user like every program of the foreign tree.
    /// - Parameters:
    ///   - rootUUID: The root file system's UUID (``HostDiskLayout/uuid``).
    ///   - architecture: The tree's architecture.
    static func bootLoaderScript(rootUUID: String, architecture: Architecture) -> String {
        switch architecture {
        case .amd64: return bootLoaderScript(rootUUID: rootUUID)
        case .arm64: return grubConfigScript(rootUUID: rootUUID)
        }
    }

    /// The part of the boot hook that has Debian's `grub-mkconfig` write `/boot/grub/grub.cfg` (with the stand-in
    /// `grub-probe`), common to every architecture.
    private static func grubConfigScript(rootUUID: String) -> String {
        """
        #!/bin/sh
        # Written by labforge: Debian's GRUB config and GRUB's BIOS core image, made in the tree before the disk exists.
        set -eu
        root="$1"
        probe="$root/usr/sbin/grub-probe"
        mv "$probe" "$probe.labforge-real"
        trap 'mv "$probe.labforge-real" "$probe"' EXIT
        cat > "$probe" <<'PROBE'
        \(GrubProbeStandIn.script(rootUUID: rootUUID))PROBE
        chmod 0755 "$probe"
        mkdir -p "$root/boot/grub"
        chroot "$root" grub-mkconfig -o /boot/grub/grub.cfg
        mv "$probe.labforge-real" "$probe"
        trap - EXIT

        """
    }

    /// The part of amd64's boot hook that makes GRUB's i386-pc core image and copies its modules.
    private static func biosCoreImageScript(rootUUID: String) -> String {
        """
        # BIOS: the core image grub-install would make (the root by UUID, its modules beside grub.cfg). The modules are
        # hard links: one copy on the disk, and an upgrade of grub-pc-bin (dpkg renames new files into place) leaves
        # the ones that match this core alone.
        modules="$root/boot/grub/i386-pc"
        mkdir -p "$modules"
        cp -l "$root"/usr/lib/grub/i386-pc/*.mod "$root"/usr/lib/grub/i386-pc/*.lst "$root/usr/lib/grub/i386-pc/boot.img" "$modules/"
        printf 'search.fs_uuid %s root hd0,gpt1\nset prefix=($root)/boot/grub\n' '\(rootUUID)' > "$modules/load.cfg"
        chroot "$root" grub-mkimage -O i386-pc -o /boot/grub/i386-pc/core.img -c /boot/grub/i386-pc/load.cfg \
            -p '(hd0,gpt1)/boot/grub' biosdisk part_gpt ext2 search_fs_uuid

        """
    }

    /// The essential hook: writes fstab before the kernel is installed, so the initramfs is generated
    /// against the final fstab. (The initramfs still prints `fsck not present`; the root, mounted
    /// `ro`, is checked by systemd-fsck-root.service after the switch — seen on a TCG boot.)
    static let essentialScript = """
        #!/bin/sh
        # Written by labforge: fstab before the kernel and initramfs are installed.
        set -eu
        printf 'LABEL=\(rootLabel)\\t/\\text4\\terrors=remount-ro\\t0\\t1\\n' > "$1/etc/fstab"

        """

    /// Everything that shapes the bootstrapped disk, hashed into the cache key: a change here rebuilds bases.
    static var revision: String {
        ([basePackages.joined(separator: ","), dpkgExcludes.joined(separator: ","), rootLabel, dhcpNetwork, cloudConfig, sshHostKeys, grubDefaults,
          bootLoaderScript(rootUUID: ""), "gpt bios-boot 14 esp 15 root 1", essentialScript, customizeScript(staging: "")]).joined(separator: "\u{0}")
    }

    /// Everything that shapes a bootstrapped tree of `architecture`, hashed into its cache key: amd64's ``revision``
    /// (unchanged, so amd64 bases keep their keys); arm64's own packages, exclusions, GRUB settings, boot hook and
    /// partition table.
    /// - Parameter architecture: The tree's architecture.
    /// - Returns: The text hashed.
    static func revision(for architecture: Architecture) -> String {
        guard architecture != .amd64 else { return revision }
        return ([basePackages(for: architecture).joined(separator: ","), dpkgExcludes(for: architecture).joined(separator: ","), rootLabel, dhcpNetwork,
                 cloudConfig, sshHostKeys, grubDefaults(for: architecture), bootLoaderScript(rootUUID: "", architecture: architecture),
                 "gpt esp 15 root 1 \(HostDiskLayout.rootType(for: architecture))", "esp /EFI/BOOT/BOOTAA64.EFI grub",
                 essentialScript, customizeScript(staging: ""), "architecture=\(architecture)"]).joined(separator: "\u{0}")
    }

    /// The hook that installs pinned packages in the tree (`$1`) with the guest's apt, from `staging/debs`:
    /// an `.artifact` always from its file, a `.repositoriesElse` from the archive when apt has a candidate
    /// for it, else from its file — the choice the appliance makes (``PackageSource``).
    /// - Parameters:
    ///   - requests: The pinned packages, in plan order.
    ///   - staging: Host directory holding `debs/`.
    static func pinnedPackagesScript(_ requests: [PackageRequest], staging: String) -> String {
        var choices: [String] = []
        for request in requests {
            guard let artifact = request.source.artifact else { continue }
            let name = shellQuoted(request.name), file = "\"$debs\"/" + shellQuoted(artifact.fileName)
            switch request.source {
            case .repositories:
                continue
            case .artifact:
                choices.append("echo \"labforge: \(request.name) from the pinned \(artifact.fileName)\"; set -- \"$@\" \(file)")
            case .repositoriesElse:
                choices.append("""
                if chroot "$root" apt-cache policy \(name) 2>/dev/null | grep -q '^ *Candidate: [^(]'; then
                    echo "labforge: \(request.name) from the guest's repositories"; set -- "$@" \(name)
                else
                    echo "labforge: \(request.name) not in the guest's repositories; using the pinned \(artifact.fileName)"; set -- "$@" \(file)
                fi
                """)
            }
        }
        return """
        #!/bin/sh
        # Written by labforge: installs the recipe's pinned packages in the bootstrapped tree, with its own apt.
        set -eu
        root="$1"
        debs=/var/cache/labforge-pinned
        mkdir -p "$root$debs"
        cp \(shellQuoted(staging + "/debs"))/*.deb "$root$debs/"
        set --
        \(choices.joined(separator: "\n"))
        chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@"
        rm -rf "$root$debs"

        """
    }

    /// The customize hook: a shell script mmdebstrap runs on the host with the root tree as `$1`.
    /// - Parameters:
    ///   - staging: Host directory holding the files above.
    ///   - hostname: Default hostname (cloud-init replaces it from meta-data).
    static func customizeScript(staging: String, hostname: String = "debian") -> String {
        """
        #!/bin/sh
        # Written by labforge: configures the bootstrapped tree before it is packed.
        set -eu
        root="$1"
        echo \(hostname) > "$root/etc/hostname"
        printf '127.0.0.1\\tlocalhost\\n127.0.1.1\\t\(hostname)\\n::1\\tlocalhost ip6-localhost ip6-loopback\\n' > "$root/etc/hosts"
        install -D -m 0644 '\(staging)/10-dhcp.network' "$root/etc/systemd/network/10-dhcp.network"
        install -D -m 0644 '\(staging)/90-labforge.cfg' "$root/etc/cloud/cloud.cfg.d/90-labforge.cfg"
        install -D -m 0644 '\(staging)/10-hostkeys.conf' "$root/etc/systemd/system/ssh.service.d/10-hostkeys.conf"
        install -D -m 0644 '\(staging)/50-labforge.cfg' "$root/etc/default/grub.d/50-labforge.cfg"
        systemctl --root="$root" enable systemd-networkd.service systemd-resolved.service
        rm -f "$root"/etc/ssh/ssh_host_*
        # Each clone must make its own machine-id on first boot.
        : > "$root/etc/machine-id"
        rm -f "$root/var/lib/dbus/machine-id" "$root/var/lib/systemd/random-seed"

        """
    }
}
