// What a recipe's steps work on: a guest's files and a shell chrooted at its root — the libguestfs appliance's mounted
// disk, or a root tree on the host (a foreign architecture's, run under qemu-user).
import Foundation
import Guestfs

/// The guest a ``GuestBuild`` applies steps to. Paths are absolute guest paths; every call works inside the guest's
/// root (symbolic links resolve there, never on the host).
protocol GuestFileSystem: AnyObject {
    /// Whether `path` exists (symbolic links followed).
    func exists(_ path: String) throws -> Bool
    /// Whether `path` is a regular file.
    func isFile(_ path: String) throws -> Bool
    /// The whole file.
    func readFile(_ path: String) throws -> Data
    /// Replaces the file's contents (created if missing).
    func write(_ contents: Data, to path: String) throws
    /// `mkdir -p`.
    func makeDirectories(_ path: String) throws
    /// `chmod`.
    func setMode(_ mode: Int32, of path: String) throws
    /// `chown` by number.
    func setOwner(uid: Int32, gid: Int32, of path: String) throws
    /// `ln -sf target path`.
    func symlink(_ target: String, at path: String) throws
    /// The paths a glob matches, sorted.
    func glob(_ pattern: String) throws -> [String]
    /// `rm -rf` (nothing to remove is fine).
    func removeRecursively(_ path: String) throws
    /// Copies a host file to a guest file.
    func upload(_ hostPath: String, to guestPath: String) throws
    /// Copies a host file or tree into a guest directory, modes kept.
    func copyIn(_ hostPath: String, to guestDirectory: String) throws
    /// Runs `/bin/sh -c script` chrooted at the guest's root; its standard output (append `2>&1` for errors too).
    /// Throws when the script cannot be run or exits non-zero.
    func shell(_ script: String) throws -> String
}

extension Appliance: GuestFileSystem {}
