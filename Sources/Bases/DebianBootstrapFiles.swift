// The configuration files a bootstrapped Debian base carries, and the mmdebstrap hook that installs them.
import LabforgeRecipe

/// Files written into the root tree by the customize hook and onto the disk by the assembler.
///
/// Each one fixes a pitfall measured in the prototype (../shared/prototype/REPORT.md).
enum DebianBootstrapFiles {
    /// Packages every bootstrapped base has: kernel, init, network, ssh, cloud-init, guest agent.
    static let basePackages = [
        "linux-image-cloud-amd64", "systemd-sysv", "udev", "systemd-resolved", "dbus", "openssh-server",
        "cloud-init", "cloud-guest-utils", "qemu-guest-agent", "iproute2", "sudo", "less", "netbase",
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

    /// EXTLINUX configuration: serial console for TCG boots and `virtctl console`, root by label.
    static let extlinuxConfig = """
        DEFAULT debian
        PROMPT 0
        TIMEOUT 0
        SERIAL 0 115200
        LABEL debian
          LINUX /vmlinuz
          INITRD /initrd.img
          APPEND root=LABEL=\(rootLabel) ro console=tty0 console=ttyS0,115200n8

        """

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
        ([basePackages.joined(separator: ","), rootLabel, dhcpNetwork, cloudConfig, sshHostKeys, extlinuxConfig,
          essentialScript, customizeScript(staging: "")]).joined(separator: "\u{0}")
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
        systemctl --root="$root" enable systemd-networkd.service systemd-resolved.service
        rm -f "$root"/etc/ssh/ssh_host_*
        # Each clone must make its own machine-id on first boot.
        : > "$root/etc/machine-id"
        rm -f "$root/var/lib/dbus/machine-id" "$root/var/lib/systemd/random-seed"

        """
    }
}
