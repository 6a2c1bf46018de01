// How the probed agents must authenticate, and the throwaway credentials a verification boot is given.
import Archive
import Foundation
import LabforgeRecipe

/// What the terminal and desktop probes expect of authentication.
public struct AgentAccess: Sendable, Equatable, Codable {
    /// A `user:password` pair for HTTP basic auth.
    public struct BasicCredential: Sendable, Equatable, Codable {
        /// User name.
        public var username: String
        /// Password.
        public var password: String

        /// Creates a credential.
        /// - Parameters:
        ///   - username: User name.
        ///   - password: Password.
        public init(username: String, password: String) {
            self.username = username
            self.password = password
        }

        /// `Basic base64(user:password)`.
        var authorization: String { "Basic " + token }
        /// `base64(user:password)`: ttyd's AuthToken.
        var token: String { Data("\(username):\(password)".utf8).base64EncodedString() }
    }

    /// The web terminal's mode.
    public enum Terminal: Sendable, Equatable, Codable {
        /// No authentication expected (a shell for anyone).
        case open
        /// Basic auth: the fixed credential, or (nil) one the verification gives the VM at boot.
        case basic(fixed: BasicCredential?)
        /// A proxy's header carries the user.
        case proxyHeader(String)
    }

    /// The web desktop's mode.
    public enum Desktop: Sendable, Equatable, Codable {
        /// RFB security type None expected.
        case open
        /// VNC authentication: the fixed password, or (nil) one the verification gives the VM at boot.
        case vncPassword(fixed: String?)
    }

    /// The terminal's mode.
    public var terminal: Terminal
    /// The desktop's mode.
    public var desktop: Desktop

    /// Creates expectations; the default is what shipped recipes do: both from credentials given at boot.
    /// - Parameters:
    ///   - terminal: The terminal's mode.
    ///   - desktop: The desktop's mode.
    public init(terminal: Terminal = .basic(fixed: nil), desktop: Desktop = .vncPassword(fixed: nil)) {
        self.terminal = terminal
        self.desktop = desktop
    }

    /// Whether the VM needs a credentials disk.
    public var needsBootCredentials: Bool {
        terminal == .basic(fixed: nil) || desktop == .vncPassword(fixed: nil)
    }

    /// The terminal mode's name in reports.
    public var terminalName: String {
        switch terminal {
        case .open: return "none"
        case .basic(let fixed): return fixed == nil ? "basic (boot credential)" : "basic (fixed credential)"
        case .proxyHeader(let header): return "proxy header \(header)"
        }
    }

    /// The desktop mode's name in reports.
    public var desktopName: String {
        switch desktop {
        case .open: return "none"
        case .vncPassword(let fixed): return fixed == nil ? "VNC password (boot)" : "VNC password (fixed)"
        }
    }
}

extension AgentAccess {
    /// What a recipe's agents declare.
    /// - Parameter recipe: The recipe.
    public init(recipe: Recipe) {
        self.init(terminal: .open, desktop: .open)
        for agent in recipe.agents {
            switch agent {
            case .webTerminal(let terminal):
                switch terminal.auth {
                case .bootCredential: self.terminal = .basic(fixed: nil)
                case .fixed(let credential): self.terminal = .basic(fixed: BasicCredential(username: credential.username, password: credential.password))
                case .proxyHeader(let header): self.terminal = .proxyHeader(header)
                case .unauthenticated: self.terminal = .open
                }
            case .webDesktop(let desktop):
                switch desktop.auth {
                case .bootPassword: self.desktop = .vncPassword(fixed: nil)
                case .fixedPassword(let password): self.desktop = .vncPassword(fixed: password)
                case .unauthenticated: self.desktop = .open
                }
            case .cloudInit:
                continue
            }
        }
    }
}

/// Throwaway credentials for one verification boot, handed to the VM the way the cluster does: a disk with serial
/// `labcreds` holding one file per key (``BootCredentials``).
public struct TestCredentials: Sendable {
    /// The terminal's basic-auth credential.
    public var terminal: AgentAccess.BasicCredential
    /// The desktop's VNC password (8 characters: VNC authentication uses no more).
    public var desktopPassword: String

    /// Random credentials.
    /// - Parameter user: The terminal credential's user name.
    /// - Returns: Fresh credentials.
    public static func generate(user: String) -> TestCredentials {
        TestCredentials(
            terminal: .init(username: user, password: NoCloudSeed.randomToken(length: 20)), desktopPassword: NoCloudSeed.randomToken(length: 8))
    }

    /// Writes the credentials volume (ISO9660, label `labcreds`, files readable by root only).
    /// - Parameter path: The image file.
    /// - Throws: ``VerifyError/seed(path:message:)``.
    public func writeDisk(to path: String) throws {
        let files = [
            ISO9660File(name: BootCredentials.terminalKey, contents: Data("\(terminal.username):\(terminal.password)\n".utf8), mode: 0o600),
            ISO9660File(name: BootCredentials.desktopKey, contents: Data("\(desktopPassword)\n".utf8), mode: 0o600),
        ]
        do {
            try ISO9660Writer.write(files, to: path, volumeID: BootCredentials.diskSerial, modificationTime: Int(Date().timeIntervalSince1970))
        } catch {
            throw VerifyError.seed(path: path, message: "\(error)")
        }
    }
}
