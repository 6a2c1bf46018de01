// debian-desktop: debian-terminal plus the Xfce desktop in the browser (TigerVNC on loopback, noVNC via websockify).
import LabforgeRecipe

/// Debian 13 + cloud-init + ttyd on 7681 + the Xfce desktop (panel, Thunar, xfce4-terminal, Mousepad, Firefox ESR)
/// through noVNC on 6080, for student. Clipboard both ways and ZMODEM file transfer are on (the agents' defaults).
public let debianDesktop = Recipe(
    name: "debian-desktop",
    version: "1.0.0",
    displayName: "Debian 13 desktop",
    description: "Debian 13 with the Xfce desktop (Thunar, terminal, Mousepad, Firefox ESR) in the browser (noVNC) and a browser terminal (ttyd) for student; clipboard both ways, files in and out with sz/rz.",
    tags: ["debian", "terminal", "desktop", "xfce", "ttyd", "novnc"],
    instancetype: "u1.medium",
    preference: "debian",
    minimumCPUs: 1,
    minimumMemoryMiB: 2048,
    latest: true
) {
    CloudInit()
    student
    WebTerminal(port: 7681, user: "student")
    WebDesktop(port: 6080, user: "student", session: .xfce)
}
