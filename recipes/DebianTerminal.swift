// debian-terminal: Debian 13 with cloud-init and a browser terminal (ttyd) for the user `student`.
import LabforgeRecipe

/// Debian 13 + cloud-init + ttyd on port 7681.
public let debianTerminal = Recipe(
    name: "debian-terminal",
    version: "1.0.0",
    displayName: "Debian 13 terminal",
    description: "A minimal Debian 13 VM with a browser terminal (ttyd) logged in as student.",
    tags: ["debian", "terminal", "ttyd"],
    instancetype: "u1.small",
    preference: "debian",
    minimumCPUs: 1,
    minimumMemoryMiB: 1024,
    latest: true
) {
    CloudInit()
    student
    WebTerminal(port: 7681, user: "student")
}
