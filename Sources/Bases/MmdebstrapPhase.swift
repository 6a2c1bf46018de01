// mmdebstrap's phases, read from its "I: …" lines, for progress output.
import Foundation

/// The phase of an mmdebstrap run, as announced by its informational lines on standard error (mmdebstrap 1.x).
/// Progress shows it; the interruption tests wait for it to interrupt a given phase.
public enum MmdebstrapPhase: String, Sendable, CaseIterable {
    /// `apt-get update` on the host, against the chroot's sources.
    case update = "apt-get update"
    /// apt downloads every package (host side; nothing is mounted yet).
    case download = "downloading packages"
    /// The Essential set is unpacked with dpkg-deb (host side).
    case extract = "extracting archives"
    /// dpkg installs the Essential set inside the chroot (`/proc`, `/sys`, `/dev` mounted from here on).
    case essential = "installing essential packages in the chroot"
    /// The `--essential-hook`s.
    case essentialHook = "essential hooks"
    /// apt installs the remaining packages inside the chroot (maintainer scripts run).
    case install = "installing packages in the chroot"
    /// The `--customize-hook`s (chroot commands, the boot loader files).
    case customizeHook = "customize hooks"
    /// Package lists and apt's cache removed, mounts undone.
    case cleanup = "cleaning up"

    /// The start of the line mmdebstrap prints when the phase begins.
    var marker: String {
        switch self {
        case .update: "I: running apt-get update"
        case .download: "I: downloading packages with apt"
        case .extract: "I: extracting archives"
        case .essential: "I: installing essential packages"
        case .essentialHook: "I: running --essential-hook"
        case .install: "I: installing remaining packages inside the chroot"
        case .customizeHook: "I: running --customize-hook"
        case .cleanup: "I: cleaning package lists and apt cache"
        }
    }

    /// The phase a line of mmdebstrap's output starts, if it starts one.
    /// - Parameter line: One line of its output.
    public init?(line: String) {
        guard let phase = Self.allCases.first(where: { line.hasPrefix($0.marker) }) else { return nil }
        self = phase
    }
}
