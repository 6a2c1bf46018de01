// A guest root tree on the host as a GuestFileSystem: files handled on the host with links resolved inside the tree,
// programs run chrooted in it (under qemu-user through binfmt_misc for a foreign architecture).
import Bases
import Foundation
import LabforgeRecipe
import ProcessRunner

/// A root tree extracted on the host that a recipe's steps run in, as they run in the appliance for an amd64 disk.
///
/// File calls resolve every symbolic link inside the tree (an absolute target starts again at the tree's root), so a
/// link in the guest never reaches a host file. ``shell(_:)`` runs the script with `chroot` in a mount and PID namespace
/// of its own (``Bases/PrivateMountNamespace``: no process it starts outlives it) with `/proc`, `/sys`, `/dev` and a fresh tmpfs on `/run` mounted in
/// the tree and the host's DNS configuration where the guest's `/etc/resolv.conf` looks: nothing mounted outlives the
/// script, nothing of the host's configuration is left in the tree. Needs root.
final class HostRootTree: GuestFileSystem {
    /// The tree's root directory on the host (absolute, no trailing slash).
    let root: String
    /// What the tree's programs get in their environment beside the allow-listed one: a foreign architecture's
    /// ``LabforgeRecipe/Architecture/userEmulationEnvironment``.
    let environment: [String: String]

    /// Wraps the tree at `root`.
    /// - Parameters:
    ///   - root: An extracted root tree, owned by root.
    ///   - architecture: The tree's architecture when it is not the host's (its programs run under qemu-user).
    init(root: String, foreignArchitecture architecture: Architecture? = nil) {
        self.root = URL(fileURLWithPath: root).standardizedFileURL.path
        environment = architecture?.userEmulationEnvironment ?? [:]
    }

    /// Where `path` is on the host, every link on the way resolved inside the tree; the last component is followed only
    /// when `followLast`.
    /// - Throws: ``CustomizeError/commandFailed(command:status:outputTail:)`` for a link loop.
    func hostPath(_ path: String, followLast: Bool = true) throws -> String {
        var resolved: [String] = []
        var pending = Array(path.split(separator: "/").map(String.init).reversed())
        var hops = 0
        while let name = pending.popLast() {
            if name == "." { continue }
            if name == ".." { _ = resolved.popLast(); continue }
            let candidate = root + "/" + (resolved + [name]).joined(separator: "/")
            if !pending.isEmpty || followLast, let target = try? FileManager.default.destinationOfSymbolicLink(atPath: candidate) {
                hops += 1
                guard hops <= 40 else {
                    throw CustomizeError.commandFailed(command: "resolve \(path) in \(root)", status: 1, outputTail: "too many levels of symbolic links")
                }
                if target.hasPrefix("/") { resolved = [] }
                pending.append(contentsOf: target.split(separator: "/").map(String.init).reversed())
                continue
            }
            resolved.append(name)
        }
        return resolved.isEmpty ? root : root + "/" + resolved.joined(separator: "/")
    }

    func exists(_ path: String) throws -> Bool {
        FileManager.default.fileExists(atPath: try hostPath(path))
    }

    func isFile(_ path: String) throws -> Bool {
        var info = stat()
        return lstat(try hostPath(path, followLast: false), &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    func readFile(_ path: String) throws -> Data {
        let host = try hostPath(path)
        guard let data = FileManager.default.contents(atPath: host) else { throw failure("read \(path)", host) }
        return data
    }

    func write(_ contents: Data, to path: String) throws {
        let host = try hostPath(path)
        do { try contents.write(to: URL(fileURLWithPath: host)) } catch { throw failure("write \(path)", "\(error)") }
    }

    func makeDirectories(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: try hostPath(path), withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        } catch let error as CustomizeError { throw error } catch { throw failure("mkdir -p \(path)", "\(error)") }
    }

    func setMode(_ mode: Int32, of path: String) throws {
        guard chmod(try hostPath(path), mode_t(mode)) == 0 else { throw failure("chmod \(String(mode, radix: 8)) \(path)", String(cString: strerror(errno))) }
    }

    func setOwner(uid: Int32, gid: Int32, of path: String) throws {
        guard chown(try hostPath(path), uid_t(uid), gid_t(gid)) == 0 else { throw failure("chown \(uid):\(gid) \(path)", String(cString: strerror(errno))) }
    }

    func symlink(_ target: String, at path: String) throws {
        let host = try hostPath(path, followLast: false)
        var info = stat()
        if lstat(host, &info) == 0, (info.st_mode & S_IFMT) != S_IFDIR { _ = unlink(host) }
        guard Foundation.symlink(target, host) == 0 else { throw failure("ln -sf \(target) \(path)", String(cString: strerror(errno))) }
    }

    func glob(_ pattern: String) throws -> [String] {
        var matches = glob_t()
        defer { globfree(&matches) }
        let status = Glibc.glob(root + (pattern.hasPrefix("/") ? "" : "/") + pattern, 0, nil, &matches)
        guard status == 0 else { return [] }
        var paths: [String] = []
        for index in 0..<Int(matches.gl_pathc) {
            guard let raw = matches.gl_pathv[index] else { continue }
            let path = String(cString: raw)
            // A match reached through a link that leaves the tree is not the guest's.
            if path.hasPrefix(root + "/") { paths.append(String(path.dropFirst(root.count))) }
        }
        return paths.sorted()
    }

    func removeRecursively(_ path: String) throws {
        let host = try hostPath(path, followLast: false)
        guard host != root else { throw failure("rm -rf \(path)", "refusing to remove the tree's root") }
        var info = stat()
        guard lstat(host, &info) == 0 else { return }
        do { try FileManager.default.removeItem(atPath: host) } catch { throw failure("rm -rf \(path)", "\(error)") }
    }

    func upload(_ hostFile: String, to path: String) throws {
        let host = try hostPath(path)
        _ = unlink(host)
        do { try FileManager.default.copyItem(atPath: hostFile, toPath: host) } catch { throw failure("upload \(hostFile) to \(path)", "\(error)") }
    }

    func copyIn(_ hostFile: String, to directory: String) throws {
        let result = try ChildProcess(["cp", "-a", "--", hostFile, try hostPath(directory) + "/"]).runBlocking()
        guard result.succeeded else { throw failure("copy \(hostFile) into \(directory)", result.message) }
    }

    func shell(_ script: String) throws -> String {
        let result = try ChildProcess(
            ["unshare"] + PrivateMountNamespace.unshareArguments(executable: "/bin/sh", ["-c", Self.chrootScript, "labforge-chroot", root, script]),
            environment: environment
        ).runBlocking()
        guard result.succeeded else {
            throw CustomizeError.commandFailed(command: GuestShell.shownCommand(script), status: result.status, outputTail: GuestShell.tail(of: result.stdoutText + result.stderr))
        }
        return result.stdoutText
    }

    /// The host side of ``shell(_:)``: `$1` the tree, `$2` the script. Mounts exist only in this namespace.
    static let chrootScript = """
        set -e
        root="$1"
        mount -t proc proc "$root/proc"
        mount -t sysfs sysfs "$root/sys"
        mount --rbind /dev "$root/dev"
        mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs "$root/run"
        mkdir -p "$root/run/systemd/resolve"
        cp /etc/resolv.conf "$root/run/systemd/resolve/stub-resolv.conf"
        cp /etc/resolv.conf "$root/run/systemd/resolve/resolv.conf"
        if [ -f "$root/etc/resolv.conf" ] && [ ! -L "$root/etc/resolv.conf" ]; then mount --bind /etc/resolv.conf "$root/etc/resolv.conf"; fi
        exec chroot "$root" /bin/sh -c "$2"
        """

    private func failure(_ command: String, _ reason: String) -> CustomizeError {
        CustomizeError.commandFailed(command: command, status: 1, outputTail: reason)
    }
}
