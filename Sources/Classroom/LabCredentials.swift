// A lab seat's credentials (the Secret's three keys), generated from the system's random source.
import Kube

/// The credentials of one VM, as the image's credentials contract reads them from the Secret disk
/// (serial `labcreds`): `terminal-credential` (`user:password`, ttyd basic auth), `desktop-password`
/// (VNC; VncAuth uses only 8 characters, so exactly 8 are generated) and `password` (the lab user's).
public struct LabCredentials: Sendable, Hashable, Codable {
    /// Secret key of the web terminal's `user:password`.
    public static let terminalCredentialKey = "terminal-credential"
    /// Secret key of the VNC password.
    public static let desktopPasswordKey = "desktop-password"
    /// Secret key of the lab user's Linux password.
    public static let passwordKey = "password"
    /// Characters of generated passwords: letters and digits without look-alikes (I l O o 0 1) and
    /// punctuation that needs no quoting in a shell word, a URL user part or YAML (no quotes, colon,
    /// backslash, space, `$`, `&`). 69 characters: 6.1 bits each.
    public static let alphabet: [Character] = Array("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789!#%*+-.=?@^_~")
    /// Length of generated terminal and Linux passwords (≈ 98 bits).
    public static let passwordLength = 16
    /// Length of the VNC password: VncAuth ignores what follows the 8th character (≈ 49 bits).
    public static let desktopPasswordLength = 8

    /// `user:password` for ttyd's basic auth.
    public var terminalCredential: String
    /// The VNC password.
    public var desktopPassword: String
    /// The lab user's Linux password.
    public var password: String

    /// Creates credentials from known values.
    /// - Parameters:
    ///   - terminalCredential: `user:password`.
    ///   - desktopPassword: VNC password (at most 8 characters count).
    ///   - password: Linux password.
    public init(terminalCredential: String, desktopPassword: String, password: String) {
        self.terminalCredential = terminalCredential
        self.desktopPassword = desktopPassword
        self.password = password
    }

    /// Generates fresh credentials: every character drawn uniformly from ``alphabet``.
    /// - Parameters:
    ///   - user: The web terminal's user name (the image's lab user).
    ///   - generator: The random source; the system's CSPRNG unless a test passes its own.
    /// - Returns: New credentials.
    public static func generate<Generator: RandomNumberGenerator>(user: String, using generator: inout Generator) -> LabCredentials {
        func random(_ length: Int) -> String {
            String((0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
        }
        return LabCredentials(
            terminalCredential: "\(user):\(random(passwordLength))", desktopPassword: random(desktopPasswordLength),
            password: random(passwordLength)
        )
    }

    /// Generates fresh credentials from `SystemRandomNumberGenerator` (getrandom(2) on Linux).
    /// - Parameter user: The web terminal's user name.
    /// - Returns: New credentials.
    public static func generate(user: String) -> LabCredentials {
        var generator = SystemRandomNumberGenerator()
        return generate(user: user, using: &generator)
    }

    /// The Secret's `stringData`.
    public var secretData: StringMap {
        [Self.terminalCredentialKey: terminalCredential, Self.desktopPasswordKey: desktopPassword, Self.passwordKey: password]
    }

    /// The secret parts (the terminal password without its user), e.g. to prove no other file holds them.
    public var secretValues: [String] {
        let terminalPassword = terminalCredential.split(separator: ":", maxSplits: 1).last.map(String.init) ?? terminalCredential
        return [terminalPassword, desktopPassword, password]
    }

    /// Why these credentials cannot be used, or nil: empty parts, no `user:` in the terminal credential,
    /// a VNC password longer than 8 characters, or characters a tab-separated file cannot hold.
    public var problem: String? {
        let all = [terminalCredential, desktopPassword, password]
        if all.contains(where: { $0.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F } }) {
            return "a credential holds a tab or control character"
        }
        let terminal = terminalCredential.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        if terminal.count != 2 || terminal[0].isEmpty || terminal[1].isEmpty { return "terminal_credential is not user:password" }
        if desktopPassword.isEmpty || desktopPassword.count > Self.desktopPasswordLength {
            return "desktop_password must have 1–8 characters (VNC uses only the first 8)"
        }
        if password.isEmpty { return "password is empty" }
        return nil
    }
}

extension LabCredentials {
    /// Keeps the credentials a seat already has and generates the missing ones.
    /// - Parameters:
    ///   - seats: Seat ids (student ids, or pool VM names), in order.
    ///   - existing: Credentials read back from the credentials file.
    ///   - rotate: Generate new credentials for every seat.
    ///   - user: The web terminal's user name.
    /// - Returns: Credentials for every seat, and the ids that got new ones.
    public static func assign(
        seats: [String], existing: [String: LabCredentials], rotate: Bool, user: String
    ) -> (credentials: [String: LabCredentials], generated: [String]) {
        var credentials: [String: LabCredentials] = [:]
        var generated: [String] = []
        for seat in seats {
            if !rotate, let kept = existing[seat] {
                credentials[seat] = kept
            } else {
                credentials[seat] = generate(user: user)
                generated.append(seat)
            }
        }
        return (credentials, generated)
    }
}
