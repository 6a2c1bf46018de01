// System steps: users, hostname, time zone, locale, first-boot commands, systemd units (offline), growth.
import Foundation
import Guestfs
import LabforgeRecipe

extension GuestBuild {
    /// The guest script that creates `account` and sets its password hash (validated: one line, no `:`).
    static func createUserScript(_ account: UserAccount) -> String {
        var useradd = ["useradd", "--create-home", "--shell", account.shell]
        if let uid = account.uid { useradd += ["--uid", String(uid)] }
        if !account.comment.isEmpty { useradd += ["--comment", account.comment] }
        if !account.groups.isEmpty { useradd += ["--groups", account.groups.joined(separator: ",")] }
        useradd.append(account.name)
        var script = useradd.map(shellQuoted).joined(separator: " ")
        if let hash = account.passwordHash {
            script += "\nusermod --password \(shellQuoted(hash)) \(shellQuoted(account.name))"
        }
        return script
    }

    func createUser(_ account: UserAccount) throws {
        // The log and errors show `usermod --password <redacted>` (GuestShell redacts), never the hash.
        try shell.run(Self.createUserScript(account))
        if account.sudo != .none {
            if !(try guest.exists("/usr/bin/sudo")) {
                try refreshIndexes()
                try shell.run(manager.install(names: ["sudo"], files: []))
            }
            let rule = account.sudo == .passwordless ? "ALL=(ALL:ALL) NOPASSWD: ALL" : "ALL=(ALL:ALL) ALL"
            try writeFile(
                path: "/etc/sudoers.d/labforge-\(account.name)", contents: Data("\(account.name) \(rule)\n".utf8),
                mode: 0o440, owner: .root
            )
        }
        if !account.authorizedKeys.isEmpty {
            let home = try shell.run("getent passwd \(shellQuoted(account.name)) | cut -d: -f6")
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let owner = FileOwner(account.name)
            try guest.makeDirectories(home + "/.ssh")
            try guest.setMode(0o700, of: home + "/.ssh")
            try writeFile(
                path: home + "/.ssh/authorized_keys", contents: Data((account.authorizedKeys.joined(separator: "\n") + "\n").utf8),
                mode: 0o600, owner: owner
            )
            try chown(owner, home + "/.ssh")
        }
    }

    func setHostname(_ name: String) throws {
        try writeFile(path: "/etc/hostname", contents: Data("\(name)\n".utf8), mode: 0o644, owner: .root)
        try shell.run("""
            touch /etc/hosts
            if grep -q '^127\\.0\\.1\\.1[[:space:]]' /etc/hosts; then
              sed -i 's/^127\\.0\\.1\\.1[[:space:]].*/127.0.1.1\\t\(name)/' /etc/hosts
            else
              printf '127.0.1.1\\t%s\\n' \(shellQuoted(name)) >> /etc/hosts
            fi
            """, label: "set 127.0.1.1 to \(name) in /etc/hosts")
    }

    func setTimezone(_ zone: String) throws {
        guard try guest.isFile("/usr/share/zoneinfo/\(zone)") else { throw CustomizeError.timezoneNotFound(zone) }
        try guest.symlink("/usr/share/zoneinfo/\(zone)", at: "/etc/localtime")
        try writeFile(path: "/etc/timezone", contents: Data("\(zone)\n".utf8), mode: 0o644, owner: .root)
    }

    func setLocale(_ locale: String) throws {
        if manager == .apt {
            if !(try guest.exists("/usr/sbin/locale-gen")) {
                try refreshIndexes()
                try shell.run(manager.install(names: ["locales"], files: []))
            }
            let charset = locale.split(separator: ".").dropFirst().first.map(String.init) ?? "UTF-8"
            try shell.run("""
                grep -q '^\(locale) ' /etc/locale.gen || echo '\(locale) \(charset)' >> /etc/locale.gen
                locale-gen
                update-locale LANG=\(shellQuoted(locale))
                """, label: "generate locale \(locale)")
        } else {
            try writeFile(path: "/etc/locale.conf", contents: Data("LANG=\(locale)\n".utf8), mode: 0o644, owner: .root)
        }
    }

    static let firstBootDirectory = "/usr/local/lib/labforge/firstboot"
    static let firstBootUnit = "labforge-firstboot.service"

    func addFirstBoot(name: String, script: String) throws {
        firstBootScripts += 1
        let order = firstBootScripts < 10 ? "0\(firstBootScripts)" : "\(firstBootScripts)"
        let path = "\(Self.firstBootDirectory)/\(order)-\(name).sh"
        try writeFile(path: path, contents: Data("#!/bin/sh\nset -e\n\(script)\n".utf8), mode: 0o755, owner: .root)
        guard firstBootScripts == 1 else { return }
        let unit = """
            # Written by labforge: runs the recipe's first-boot commands once per VM.
            [Unit]
            Description=labforge first-boot commands
            After=network-online.target cloud-init.target
            Wants=network-online.target
            ConditionPathExists=!/var/lib/labforge/firstboot.done

            [Service]
            Type=oneshot
            RemainAfterExit=yes
            ExecStart=/bin/sh -c 'for f in \(Self.firstBootDirectory)/*.sh; do echo "labforge first boot: $f"; "$f" || exit 1; done; mkdir -p /var/lib/labforge; touch /var/lib/labforge/firstboot.done'

            [Install]
            WantedBy=multi-user.target

            """
        try writeFile(path: "/etc/systemd/system/\(Self.firstBootUnit)", contents: Data(unit.utf8), mode: 0o644, owner: .root)
        try apply(.enable, toUnit: Self.firstBootUnit)
    }

    static let unitDirectories = ["/etc/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system"]

    /// The path of a unit file in the guest, if any.
    func unitPath(_ name: String) throws -> String? {
        for directory in Self.unitDirectories {
            let path = "\(directory)/\(name)"
            if try guest.exists(path), try guest.isFile(path) { return path }
        }
        return nil
    }

    /// Enables, disables or masks a unit the way systemctl would, by writing or removing symlinks.
    func apply(_ action: UnitAction, toUnit name: String, seen: Set<String> = []) throws {
        switch action {
        case .mask:
            try guest.symlink("/dev/null", at: "/etc/systemd/system/\(name)")
        case .enable:
            guard let path = try unitPath(name) else { throw CustomizeError.unitNotFound(name) }
            let section = UnitInstallSection(unitText: String(decoding: try guest.readFile(path), as: UTF8.self))
            guard !section.isEmpty || !section.also.isEmpty else { throw CustomizeError.unitNotInstallable(name) }
            for (link, target) in section.links(unitName: name, unitPath: path) {
                try guest.makeDirectories(Self.parent(of: link))
                try guest.symlink(target, at: link)
                shell.log("enabled \(name): \(link) → \(target)\n")
            }
            for other in section.also where !seen.contains(other) {
                try apply(.enable, toUnit: other, seen: seen.union([name]))
            }
        case .disable:
            // Not installed is already disabled.
            for link in try guest.glob("/etc/systemd/system/*.wants/\(name)") + guest.glob("/etc/systemd/system/*.requires/\(name)") {
                try guest.removeRecursively(link)
                shell.log("disabled \(name): removed \(link)\n")
            }
            if let path = try unitPath(name) {
                let section = UnitInstallSection(unitText: String(decoding: try guest.readFile(path), as: UTF8.self))
                for alias in section.aliases { try guest.removeRecursively("/etc/systemd/system/\(alias)") }
            }
        }
    }

    /// Grows the last partition to the end of the (already enlarged) disk and its ext filesystem with it.
    func growRoot(toGiB size: Int, appliance: Appliance, system: InspectedOperatingSystem) throws {
        let root = system.root
        let type = try appliance.filesystemType(root)
        guard type.hasPrefix("ext") else { throw CustomizeError.growUnsupported("root \(root) is \(type); labforge grows ext2/3/4") }
        let location: (disk: String, number: Int)
        do { location = try appliance.partitionLocation(root) } catch {
            throw CustomizeError.growUnsupported("root \(root) is not a partition (LVM or a whole disk)")
        }
        let sectors = try appliance.sectorCount(location.disk)
        switch try appliance.partitionTableType(location.disk) {
        case .gpt:
            // sgdisk (part_expand_gpt) moves the backup table to the end and aligns the last usable sector down to
            // 1 MiB; ending the partition on that boundary fits every version (at most 1 MiB stays unused).
            try appliance.moveGPTBackupToEnd(location.disk)
            try appliance.resizePartition(disk: location.disk, number: location.number, endSector: (sectors - 33) / 2048 * 2048 - 1)
        case .mbr:
            try appliance.resizePartition(disk: location.disk, number: location.number, endSector: sectors - 1)
        case nil:
            throw CustomizeError.growUnsupported("\(location.disk) has a partition table labforge does not resize")
        }
        try appliance.growExtFilesystem(root)
        shell.log("grew \(root) to the end of \(location.disk) (\(size) GiB)\n")
    }
}
