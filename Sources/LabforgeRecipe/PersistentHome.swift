// The guest half of the persistent-home variant: /home on a per-student disk, the system disk reset by every restart.

/// Mounts a per-student disk on `/home` at boot, before cloud-init, logins and the agents.
///
/// The platform attaches a disk with serial ``diskSerial`` (`labforge class --variant persistent-home` attaches a blank
/// DataVolume so; the guest sees `/dev/disk/by-id/virtio-lab-home`). At every boot `lab-home.service` finds it by that
/// serial (in sysfs, so it needs no udev), and:
/// - formats it ext4 with label ``diskSerial`` only when `blkid -p` finds no signature at all on it (a blank disk: its
///   first boot); a disk holding any file system or partition table is never formatted;
/// - fills it once with the image's `/home` (the lab user's files as built), marked by ``initializedMarker``;
/// - mounts it on `/home` (`nodev,nosuid`).
///
/// Without such a disk (the ephemeral and persistent variants) it does nothing and `/home` stays on the system disk.
public struct PersistentHome: RecipeComponent, Hashable {
    /// The disk serial the platform gives the home disk (KubeVirt `disks[].serial`).
    public static let diskSerial = "lab-home"
    /// The unit that mounts it.
    public static let unitName = "lab-home.service"
    /// The script the unit runs: `lab-home [DEVICE [HOME]]` (the arguments only for tests: by default the disk with
    /// serial ``diskSerial`` and `/home`).
    public static let scriptPath = "\(BootCredentials.scriptDirectory)/lab-home"
    /// The file at the disk's root that says the image's `/home` was copied onto it.
    public static let initializedMarker = ".labforge-home"

    /// Creates the component.
    public init() {}

    /// Whether `recipe` holds this component (its plan writes ``scriptPath``).
    /// - Parameter recipe: A recipe.
    /// - Returns: True when its VMs mount a disk with serial ``diskSerial`` on `/home`.
    public static func isIncluded(in recipe: Recipe) -> Bool {
        recipe.plan.contains { if case .writeFile(scriptPath, _, _, _) = $0.step { return true } else { return false } }
    }

    /// The script's text (POSIX sh).
    public static var script: String {
        """
        #!/bin/sh
        # Written by labforge: puts /home on the per-student disk (serial \(diskSerial)) when the VM has one.
        # A blank disk is formatted ext4 (label \(diskSerial)) and filled with the image's /home once; a disk holding
        # any signature (file system, partition table) is never formatted. No such disk: /home stays where it is.
        set -eu
        serial=\(diskSerial)
        disk=${1:-}
        home=${2:-/home}
        if [ -z "$disk" ]; then
          for block in /sys/block/*; do
            if [ "$(cat "$block/serial" 2>/dev/null)" = "$serial" ]; then disk=/dev/${block##*/}; fi
          done
        fi
        if [ -z "$disk" ] || [ ! -e "$disk" ]; then
          echo "lab-home: no disk with serial $serial; $home stays on the system disk"
          exit 0
        fi
        if mountpoint -q "$home"; then
          echo "lab-home: $home is already a mount point; leaving it"
          exit 0
        fi
        status=0
        blkid -p "$disk" >/dev/null 2>&1 || status=$?
        case $status in
          0) ;;
          2)
            echo "lab-home: $disk is blank: formatting it ext4 (label $serial)"
            mkfs.ext4 -q -L "$serial" "$disk"
            ;;
          *)
            echo "lab-home: cannot probe $disk (blkid exit $status); not touching it, $home stays on the system disk" >&2
            exit 1
            ;;
        esac
        stage=$(mktemp -d)
        if ! mount -o nodev,nosuid "$disk" "$stage"; then
          rmdir "$stage"
          echo "lab-home: cannot mount $disk; $home stays on the system disk" >&2
          exit 1
        fi
        if [ ! -e "$stage/\(initializedMarker)" ]; then
          echo "lab-home: first use: copying $home onto $disk"
          if cp -a "$home/." "$stage/" && touch "$stage/\(initializedMarker)"; then :; else
            umount "$stage"; rmdir "$stage"
            echo "lab-home: copying $home onto $disk failed; $home stays on the system disk" >&2
            exit 1
          fi
        fi
        umount "$stage"
        rmdir "$stage"
        mount -o nodev,nosuid "$disk" "$home"
        echo "lab-home: $disk mounted on $home"

        """
    }

    /// The unit: early (no default dependencies), after the local file systems, before cloud-init, logins and the agents.
    public static var unit: SystemdUnit {
        let agents = [WebTerminal.unitName, WebDesktop.unitNames.vnc, WebDesktop.unitNames.session, WebDesktop.unitNames.novnc]
        return SystemdUnit(
            name: unitName,
            unit: [
                ("Description", "labforge: /home on the per-student disk (serial \(diskSerial)), when there is one"),
                ("DefaultDependencies", "no"),
                ("After", "local-fs.target"),
                ("Before", (["sysinit.target", "shutdown.target", "cloud-init.service", "systemd-user-sessions.service", "ssh.service"] + agents).joined(separator: " ")),
                ("Conflicts", "shutdown.target"),
            ],
            service: [("Type", "oneshot"), ("RemainAfterExit", "yes"), ("ExecStart", scriptPath)],
            hardening: .system,
            wantedBy: ["sysinit.target"]
        )
    }

    /// The steps: e2fsprogs (mkfs.ext4), the script, the unit.
    public var steps: [Step] {
        [
            .install([PackageRequest("e2fsprogs")]),
            .makeDirectory(path: BootCredentials.scriptDirectory, mode: 0o755, owner: .root),
            .writeFile(path: Self.scriptPath, contents: Self.script, mode: 0o755, owner: .root),
        ] + Self.unit.steps
    }

    public var items: [RecipeItem] { steps.map(RecipeItem.step) }
}
