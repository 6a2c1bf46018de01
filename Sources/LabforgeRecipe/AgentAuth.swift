// How each browser agent authenticates: by default with the credential its VM is given at boot, never without one
// unless a recipe says so explicitly.

/// How the web terminal (ttyd) decides who gets a shell.
public enum TerminalAuth: Sendable, Hashable, Codable {
    /// HTTP basic auth with the `user:password` the VM is given at boot (key ``BootCredentials/terminalKey`` of the
    /// credentials disk, or of the Secret mounted in a pod). Without it ttyd does not start, and says why in the journal.
    case bootCredential
    /// A proxy in front authenticates and passes the user in this header (ttyd `--auth-header`). ttyd then trusts the
    /// header: the port must be reachable only from that proxy (labforge's NetworkPolicy allows only the ingress namespace).
    case proxyHeader(String)
    /// One credential stored in the image, shared by every VM made from it. An explicit choice for images that never
    /// reach more than one person; a boot credential still takes precedence when given.
    case fixed(WebTerminal.Credential)
    /// No authentication: whoever reaches the port gets a shell. Only for a single user on a trusted network.
    case unauthenticated

    /// The mode's name in reports and the catalog: `boot-credential`, `proxy-header`, `fixed-credential`, `none`.
    public var name: String {
        switch self {
        case .bootCredential: return "boot-credential"
        case .proxyHeader: return "proxy-header"
        case .fixed: return "fixed-credential"
        case .unauthenticated: return "none"
        }
    }
}

/// How the web desktop's VNC server decides who sees the screen (websockify relays whatever RFB asks for).
public enum DesktopAuth: Sendable, Hashable, Codable {
    /// VNC authentication (RFB security type 2) with the password the VM is given at boot (key
    /// ``BootCredentials/desktopKey``). VNC authentication uses the first 8 characters only: the route's TLS and
    /// the portal's own login are what protect it in transit. Without it the VNC server does not start.
    case bootPassword
    /// VNC authentication with one password stored in the image (6–8 characters). Explicit, like ``TerminalAuth/fixed(_:)``.
    case fixedPassword(String)
    /// RFB security type None: whoever reaches websockify sees and drives the desktop. Only when a recipe says so.
    case unauthenticated

    /// The mode's name in reports and the catalog: `boot-password`, `fixed-password`, `none`.
    public var name: String {
        switch self {
        case .bootPassword: return "boot-password"
        case .fixedPassword: return "fixed-password"
        case .unauthenticated: return "none"
        }
    }
}
