// What a child inherits of labforge's environment: named variables only, never a secret.
import Foundation

/// The environment labforge hands a host program: only the variables named here are passed on from labforge's own
/// environment; anything else in it (a CI token, a cloud key, a password a shell exported) stays behind.
///
/// The list is what the children need: the search path and home, locale and time zone, scratch, terminal, user
/// name, proxies and CA bundles (mmdebstrap's and apt's downloads), `SOURCE_DATE_EPOCH`, `DEBIAN_FRONTEND`, the
/// XDG directories and `LD_LIBRARY_PATH` (swiftc's module cache and a toolchain outside /usr), `SWIFT_*` (the
/// driver's tool overrides), `LIBGUESTFS_*` / `SUPERMIN_*` and labforge's own `LABFORGE_*` (a labforge started
/// by a test or script). ``withheld`` names secrets that are never passed on, even where a prefix matches.
/// A caller adds what a child needs beyond this explicitly (``ChildProcess/environment``), and that is kept as given.
public enum ChildEnvironment {
    /// How much of labforge's environment a child inherits.
    public enum Inheritance: Sendable, Equatable {
        /// Only the allow-listed variables (the default for every child).
        case allowListed
        /// Everything but the ``ChildEnvironment/withheld`` secrets: for a program whose job needs the user's own
        /// environment, such as a docker credential helper (its D-Bus session, gpg home or cloud profile).
        case everythingButSecrets
    }

    /// Variables passed on by exact name.
    public static let names: Set<String> = [
        "PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TERM",
        "http_proxy", "https_proxy", "ftp_proxy", "all_proxy", "no_proxy",
        "HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "ALL_PROXY", "NO_PROXY",
        "SSL_CERT_FILE", "SSL_CERT_DIR", "SOURCE_DATE_EPOCH", "DEBIAN_FRONTEND",
        "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_RUNTIME_DIR", "LD_LIBRARY_PATH",
    ]

    /// Variables passed on by prefix.
    public static let prefixes: [String] = ["LC_", "LIBGUESTFS_", "SUPERMIN_", "SWIFT_", "LABFORGE_"]

    /// Secrets labforge reads from its environment: never inherited by a child, whatever the ``Inheritance``
    /// (`LABFORGE_SIGN_KEY`, the signing key's PEM text; the CLI also removes it from its own environment at start).
    public static let withheld: Set<String> = ["LABFORGE_SIGN_KEY"]

    /// Whether a child inherits the variable `name` under the allow-list.
    /// - Parameter name: A variable name.
    /// - Returns: True when it is named or prefixed here and not ``withheld``.
    public static func allows(_ name: String) -> Bool {
        !withheld.contains(name) && (names.contains(name) || prefixes.contains { name.hasPrefix($0) })
    }

    /// The environment a child gets.
    /// - Parameters:
    ///   - added: Variables the caller gives the child explicitly: kept as given, and they win over inherited ones.
    ///   - inheritance: How much of `parent` is passed on.
    ///   - parent: labforge's environment (the process's own, as it is now, by default).
    /// - Returns: The child's variables.
    public static func child(
        adding added: [String: String] = [:], inheritance: Inheritance = .allowListed,
        parent: [String: String] = ProcessInfo.processInfo.environment
    ) -> [String: String] {
        let inherited = parent.filter { name, _ in
            switch inheritance {
            case .allowListed: allows(name)
            case .everythingButSecrets: !withheld.contains(name)
            }
        }
        return inherited.merging(added) { $1 }
    }
}
