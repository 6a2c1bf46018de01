// The KVM probe's verdict kept for an hour of this machine's boot, so each labforge command does not pay for it again.
#if canImport(Glibc)
import Glibc
#endif
import AtomicFile
import Foundation

/// A probe verdict on disk: `$XDG_RUNTIME_DIR/labforge/accelerator.json`, else `/tmp/labforge-<uid>/accelerator.json`
/// (a directory of this user's, mode 0700). Valid for the same boot (`/proc/sys/kernel/random/boot_id`), the same
/// qemu binary and device, and an hour; `LABFORGE_KVM_PROBE_CACHE=0` turns it off.
struct ProbeRecord: Codable, Equatable {
    var bootID: String
    var qemu: String
    var qemuModified: Double
    var device: String
    var probedAt: Double
    var outcome: KVMProbe.Outcome

    static let lifetime: Double = 3600

    static func load(probe: KVMProbe) -> KVMProbe.Outcome? {
        guard let path = path(), let key = key(probe: probe),
            let data = FileManager.default.contents(atPath: path),
            let record = try? JSONDecoder().decode(ProbeRecord.self, from: data)
        else { return nil }
        let age = Date().timeIntervalSince1970 - record.probedAt
        guard record.bootID == key.bootID, record.qemu == key.qemu, record.qemuModified == key.qemuModified,
            record.device == key.device, age >= 0, age < lifetime
        else { return nil }
        return record.outcome
    }

    static func save(_ outcome: KVMProbe.Outcome, probe: KVMProbe) {
        guard let path = path(), var record = key(probe: probe) else { return }
        record.outcome = outcome
        guard let data = try? JSONEncoder().encode(record) else { return }
        // Written beside and renamed: a parallel reader never sees half a record. A record that cannot be written
        // costs the next command one probe, nothing more, so the failure ends here.
        do {
            try AtomicFile.write(data, to: path, mode: 0o600)
        } catch {
            return
        }
    }

    /// The record's identity for `probe` now (outcome left empty).
    private static func key(probe: KVMProbe) -> ProbeRecord? {
        guard let bootID = try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8),
            let qemu = KVMProbe.executable(probe.qemu),
            let attributes = try? FileManager.default.attributesOfItem(atPath: qemu),
            let modified = attributes[.modificationDate] as? Date
        else { return nil }
        return ProbeRecord(
            bootID: bootID.trimmingCharacters(in: .whitespacesAndNewlines), qemu: qemu, qemuModified: modified.timeIntervalSince1970,
            device: probe.device, probedAt: Date().timeIntervalSince1970,
            outcome: KVMProbe.Outcome(accelerator: .tcg, reason: "", seconds: 0))
    }

    /// The record file, in a directory only this user can write; nil when caching is off or unsafe.
    private static func path() -> String? {
        let environment = ProcessInfo.processInfo.environment
        if environment["LABFORGE_KVM_PROBE_CACHE"] == "0" { return nil }
        let directory: String
        if let runtime = environment["XDG_RUNTIME_DIR"], runtime.hasPrefix("/") {
            directory = runtime + "/labforge"
        } else {
            directory = "/tmp/labforge-\(getuid())"
        }
        mkdir(directory, 0o700)
        var info = stat()
        // Another user's directory (or a link planted in /tmp) must not decide our accelerator.
        guard lstat(directory, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR, info.st_uid == getuid(), info.st_mode & 0o022 == 0 else {
            return nil
        }
        return directory + "/accelerator.json"
    }
}
