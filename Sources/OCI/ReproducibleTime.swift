// Every time field comes from SOURCE_DATE_EPOCH, or from a fixed value, so builds are reproducible.
import Foundation
import SourceDate

/// The build timestamp used in tar headers and image metadata.
public enum ReproducibleTime {
    /// Used when `SOURCE_DATE_EPOCH` is unset: 1970-01-01T00:00:00Z.
    public static let fallback: Int64 = 0

    /// `SOURCE_DATE_EPOCH` (``SourceDateEpoch/current()``, read once per process) when set, else ``fallback``.
    /// A malformed value never gets here in labforge, which refuses it when it starts; a library caller that did not
    /// call ``SourceDateEpoch/current()`` first gets ``fallback`` for one.
    /// - Returns: Seconds since the epoch.
    public static func fromEnvironment() -> Int64 {
        do {
            return try SourceDateEpoch.current()?.seconds ?? fallback
        } catch {
            return fallback
        }
    }

    /// RFC 3339 in UTC, e.g. `2026-11-25T12:00:00Z`.
    /// - Parameter seconds: Seconds since the epoch.
    /// - Returns: The formatted time.
    public static func rfc3339(_ seconds: Int64) -> String {
        SourceDateEpoch.rfc3339(seconds)
    }
}

/// The host's architecture in the GOARCH names OCI uses.
public enum HostArchitecture {
    /// `amd64`, `arm64`, `ppc64le`, `s390x`, or `uname -m` as is.
    public static var goArch: String {
        var name = utsname()
        uname(&name)
        let machine = withUnsafeBytes(of: &name.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return goArch(fromMachine: machine)
    }

    /// Maps `uname -m` / libguestfs arch names to GOARCH names.
    /// - Parameter machine: E.g. `x86_64`, `aarch64`.
    /// - Returns: E.g. `amd64`, `arm64`.
    public static func goArch(fromMachine machine: String) -> String {
        switch machine {
        case "x86_64": return "amd64"
        case "aarch64", "arm64": return "arm64"
        case "i386", "i686": return "386"
        case "ppc64le": return "ppc64le"
        case "s390x": return "s390x"
        case "riscv64": return "riscv64"
        default: return machine
        }
    }
}
