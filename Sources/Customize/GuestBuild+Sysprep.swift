// Sysprep: what makes every VM booted from the image new (machine id, host keys, cloud-init state) and
// what keeps the image small (caches, lists, logs, temp files).
import Foundation
import LabforgeRecipe

extension GuestBuild {
    /// sshd drop-in: Debian's sshd does not recreate deleted host keys by itself; this makes it do so at
    /// start, independent of cloud-init.
    static let hostKeyDropIn = (
        path: "/etc/systemd/system/ssh.service.d/10-labforge-hostkeys.conf",
        text: """
            # Written by labforge: host keys are removed when the image is built; create missing ones at start.
            [Service]
            ExecStartPre=
            ExecStartPre=/usr/bin/ssh-keygen -A
            ExecStartPre=/usr/sbin/sshd -t

            """
    )

    func sysprep(_ options: Sysprep) throws {
        try unmountScratch()
        var script: [String] = []
        if options.machineID {
            // Emptied, not deleted: an empty file makes systemd generate a new id at boot without
            // treating the boot as "first boot" presets.
            script.append(": > /etc/machine-id")
            script.append("if [ -f /var/lib/dbus/machine-id ] && [ ! -L /var/lib/dbus/machine-id ]; then rm -f /var/lib/dbus/machine-id; fi")
        }
        if options.sshHostKeys {
            script.append("rm -f /etc/ssh/ssh_host_*")
            if try guest.exists("/usr/sbin/sshd") {
                try writeFile(path: Self.hostKeyDropIn.path, contents: Data(Self.hostKeyDropIn.text.utf8), mode: 0o644, owner: .root)
            }
        }
        if options.cloudInitState {
            script.append("if command -v cloud-init >/dev/null 2>&1; then cloud-init clean --logs --seed; fi")
        }
        if options.packageCaches { script.append(manager.clean) }
        if options.historiesAndTemporaryFiles {
            script.append("rm -f /root/.bash_history /root/.python_history /root/.lesshst /root/.wget-hsts /home/*/.bash_history /home/*/.python_history /home/*/.lesshst")
            script.append("find /tmp /var/tmp -mindepth 1 -delete")
        }
        if options.randomSeed {
            script.append("rm -f /var/lib/systemd/random-seed /var/lib/urandom/random-seed /var/lib/systemd/credential.secret")
        }
        if options.logs {
            script.append("find /var/log -type f \\( -name '*.gz' -o -name '*.[0-9]' -o -name '*.old' -o -name '*.journal' -o -name '*.journal~' \\) -delete")
            script.append("find /var/log -type f -exec truncate -s 0 {} +")
        }
        guard !script.isEmpty else { return }
        try shell.run(script.joined(separator: "\n"), label: "sysprep")
    }
}
