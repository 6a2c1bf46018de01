// debian-desktop: debian-terminal plus a browser desktop (TigerVNC on loopback, noVNC via websockify).
import LabforgeRecipe

/// Debian 13 + cloud-init + ttyd on 7681 + noVNC desktop on 6080.
public let debianDesktop = Recipe(
    name: "debian-desktop",
    version: "1.0.0",
    displayName: "Debian 13 desktop",
    description: "Debian 13 with a browser terminal (ttyd) and a browser desktop (noVNC, a small window manager) for student.",
    tags: ["debian", "terminal", "desktop", "ttyd", "novnc"],
    instancetype: "u1.medium",
    preference: "debian",
    minimumCPUs: 1,
    minimumMemoryMiB: 2048,
    latest: true
) {
    CloudInit()
    student
    WebTerminal(port: 7681, user: "student")
    WebDesktop(port: 6080, user: "student", session: .minimal)
}
