// Runs an unpacked container image's entrypoint as its user in fresh namespaces: unshare + chroot, no container engine.
import Foundation
import ProcessRunner
#if canImport(Glibc)
import Glibc
#endif

/// How a container is started: what a runtime reads from the image config, and the credentials to hand it.
struct ContainerLaunch: Sendable {
    /// The unpacked root filesystem.
    var rootfs: String
    /// Numeric user id (the image's `User`).
    var uid: Int
    /// Numeric group id.
    var gid: Int
    /// `KEY=value` environment (the image's `Env`, plus any given at start): handed over in
    /// ``environmentFile``, never on a command line.
    var environment: [String]
    /// The entrypoint and its arguments.
    var command: [String]
    /// Working directory.
    var workingDirectory: String
    /// A directory of credential files bind-mounted read-only where the Secret goes, if any.
    var credentialsDirectory: String?
    /// Where in the container the credentials directory is mounted.
    var credentialsMountPoint: String
    /// Agent ports to forward to host loopback ports.
    var ports: [Int]
    /// The container's standard output and error.
    var logPath: String

    /// The file (0400, the container root's) the start script opens and removes, then the entrypoint's shell reads
    /// the environment from: one `KEY=value` per line.
    var environmentFile: String { logPath + ".environment" }
}

/// One container started under `unshare` (user, mount, UTS, IPC, network and PID namespaces) with `chroot` into the
/// unpacked image: its own loopback-only network, its own /proc, a minimal /dev (null, zero, random, urandom, tty,
/// a private devpts, shm), no capabilities left after the switch to the image's user, no-new-privileges set. The
/// entrypoint (tini) is PID 1 of its namespace. Agent ports are reached through ``NamespacePortForward``s.
///
/// The user namespace maps the container's ids 0…65535 to ``ContainerIDMap/base``…: its root owns nothing on the
/// host and holds its capabilities only over its own namespaces. `unshare` makes the namespace; the map is written
/// from here (root may write any map, no `newuidmap` needed) while the first shell waits on its standard input, and
/// only then does it switch to the container's root and run the start script. The environment goes through a file
/// the start script opens before `chroot`, so no credential is ever on a command line (`ps`, /proc/PID/cmdline).
final class NamespacedContainer: @unchecked Sendable, ProbedSystem {
    /// unshare, started by the one launcher of long-lived children: it holds the namespaces, and its end is the container's.
    private let unshare: LongLivedChild
    /// Set once, right after the start, before the container is handed out.
    private var forwards: [NamespacePortForward] = []
    private let logPath: String

    var hostPorts: [Int: Int] {
        var ports: [Int: Int] = [:]
        for forward in forwards { ports[forward.port] = forward.hostPort }
        return ports
    }

    var isRunning: Bool { unshare.isRunning }
    var guestAgentSocketPath: String? { nil }
    var stopDescription: String {
        let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        let last = log.split(separator: "\n").last.map(String.init) ?? ""
        return "the container exited with status \(unshare.exitStatus ?? 0)" + (last.isEmpty ? "" : ": \(last)")
    }

    /// Run by `unshare` in the new namespaces as an unmapped user: waits until the map is written (a line on its
    /// standard input), then becomes the container's root and runs the start script (`$0`).
    static let mapWaitScript = """
        read -r mapped || exit 70
        exec setpriv --reuid=0 --regid=0 --clear-groups /bin/sh -c "$0" labforge-container "$@" </dev/null
        """

    /// The mount and start script, run as the container's root, before it becomes the entrypoint.
    static let setupScript = """
        set -eu
        root="$1"; uid="$2"; gid="$3"; workdir="$4"; credentials="$5"; mountpoint="$6"; environment="$7"; shift 7
        ip link set lo up
        mount -t proc -o nosuid,nodev,noexec proc "$root/proc"
        mount -t tmpfs -o nosuid,mode=0755,size=64k dev "$root/dev"
        for node in null zero full random urandom tty; do : > "$root/dev/$node"; mount --bind "/dev/$node" "$root/dev/$node"; done
        mkdir -p "$root/dev/pts" "$root/dev/shm"
        mount -t devpts -o newinstance,nosuid,noexec,ptmxmode=0666,mode=0620 devpts "$root/dev/pts"
        ln -s pts/ptmx "$root/dev/ptmx"
        mount -t tmpfs -o nosuid,nodev,mode=1777 shm "$root/dev/shm"
        ln -s /proc/self/fd "$root/dev/fd"
        mkdir -p "$root$mountpoint"
        if [ -n "$credentials" ]; then
          mount --bind "$credentials" "$root$mountpoint"
          mount -o remount,bind,ro,nosuid,nodev,noexec "$root$mountpoint"
        else
          # No Secret: a fresh, empty directory the image's user may write (credentials from the environment),
          # as a new container's writable layer would be; nothing from an earlier start in the same tree is seen.
          mount -t tmpfs -o nosuid,nodev,noexec,mode=0700,uid="$uid",gid="$gid",size=64k credentials "$root$mountpoint"
        fi
        hostname lab 2>/dev/null || true
        # The environment file is open on descriptor 3 across chroot and the switch to the image's user, and gone
        # from the disk; the entrypoint's shell exports it line by line, closes it, and becomes the entrypoint.
        exec 3< "$environment"
        rm -f "$environment"
        exec setpriv --no-new-privs --inh-caps=-all --ambient-caps=-all --bounding-set=-all,+setuid,+setgid,+sys_chroot \\
          chroot --userspec="$uid:$gid" --groups="$gid" "$root" /usr/bin/env -i /bin/sh -c \\
          'while IFS= read -r variable <&3; do export "$variable"; done; exec 3<&-; cd "$0" 2>/dev/null || cd /; exec "$@"' "$workdir" "$@"
        """

    private init(unshare: LongLivedChild, logPath: String) {
        self.unshare = unshare
        self.logPath = logPath
    }

    /// Starts the container.
    /// - Parameter launch: What to run.
    /// - Returns: The running container.
    /// - Throws: ``VerifyError/containerStart(_:)``.
    static func start(_ launch: ContainerLaunch) throws -> NamespacedContainer {
        guard geteuid() == 0 else { throw VerifyError.containerStart("needs root (unshare, mount and chroot)") }
        try writeEnvironment(launch)
        let unshare: LongLivedChild
        do {
            // The host tools of the start script see a fixed search path and nothing of labforge's or the image's
            // environment (an image's LD_PRELOAD must not reach them); the image's Env is applied after chroot.
            // The one launcher of long-lived children: an interrupt kills the container, and so does a crash of labforge.
            unshare = try LongLivedChild.launch(
                [
                    "unshare", "--user", "--keep-caps", "--mount", "--uts", "--ipc", "--net", "--pid", "--fork", "--kill-child",
                    "--propagation", "private", "/bin/sh", "-c", mapWaitScript, setupScript, launch.rootfs, String(launch.uid), String(launch.gid),
                    launch.workingDirectory, launch.credentialsDirectory ?? "", launch.credentialsMountPoint, launch.environmentFile,
                ] + launch.command,
                environment: .exactly(["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"]), input: .pipe, output: .file(launch.logPath),
                error: .file(launch.logPath), name: "container")
        } catch {
            throw VerifyError.containerStart("\(error)")
        }
        let container = NamespacedContainer(unshare: unshare, logPath: launch.logPath)
        // unshare makes all the namespaces in one call before forking: its own ns/user and ns/net are the container's.
        let namespace = "/proc/\(unshare.pid)/ns/net"
        let userNamespace = "/proc/\(unshare.pid)/ns/user"
        let hostNamespace = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/user")) ?? ""
        var waited = 0
        while unshare.isRunning, (try? FileManager.default.destinationOfSymbolicLink(atPath: userNamespace)) ?? hostNamespace == hostNamespace, waited < 250 {
            usleep(20_000)
            waited += 1
        }
        guard unshare.isRunning else {
            let output = (try? String(contentsOfFile: launch.logPath, encoding: .utf8)) ?? ""
            throw VerifyError.containerStart("unshare exited with status \(unshare.exitStatus ?? 0): \(output.suffix(800))")
        }
        do {
            guard let mapped = unshare.standardInput else { throw VerifyError.containerStart("unshare has no standard input to signal the map on") }
            try ContainerIDMap.writeMap(to: unshare.pid)
            try mapped.write(contentsOf: Data("mapped\n".utf8))
            try mapped.close()
            for port in launch.ports { container.forwards.append(try NamespacePortForward(namespacePath: namespace, port: port)) }
        } catch {
            if !unshare.kill(waitingUpTo: 5) {
                throw VerifyError.containerStart("\(error); and unshare (PID \(unshare.pid)) had not ended 5 s after SIGKILL")
            }
            throw error
        }
        return container
    }

    /// Writes ``ContainerLaunch/environmentFile`` for the container's root to open (0400).
    private static func writeEnvironment(_ launch: ContainerLaunch) throws {
        let path = launch.environmentFile
        let text = launch.environment.map { $0 + "\n" }.joined()
        try? FileManager.default.removeItem(atPath: path)
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o400]),
              chown(path, uid_t(ContainerIDMap.host(0)), gid_t(ContainerIDMap.host(0))) == 0
        else { throw VerifyError.containerStart("cannot write the container's environment to \(path)") }
    }

    /// The entrypoint's host PID (PID 1 of the container), once started.
    var initPID: Int32? {
        let pid = unshare.pid
        guard let children = try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8) else { return nil }
        return children.split(separator: " ").first.flatMap { Int32($0) }
    }

    /// Stops the container as a runtime does: SIGTERM to its init, SIGKILL after `grace` seconds.
    /// - Parameter grace: Seconds to wait for a clean exit.
    /// - Returns: How it ended (`SIGTERM, exit status 0 after 0.4 s`, or `SIGKILL after 10 s`).
    func stop(grace: Double = 10) -> String {
        for forward in forwards { forward.stop() }
        guard isRunning else { return "had exited (status \(unshare.exitStatus ?? 0))" }
        let started = Date()
        if let pid = initPID { kill(pid, SIGTERM) }
        if unshare.waitForExit(seconds: grace) {
            return String(format: "SIGTERM: exited with status %d after %.1f s", unshare.exitStatus ?? 0, Date().timeIntervalSince(started))
        }
        let killed = unshare.kill(waitingUpTo: 5)
        return String(format: "SIGKILL after %.0f s (did not stop on SIGTERM)", grace) + (killed ? "" : "; not reaped 5 s later")
    }
}
