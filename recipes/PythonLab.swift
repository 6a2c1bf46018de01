// python-lab: a course image with Python 3, pip, venv, git, a welcome page and a browser terminal.
import LabforgeRecipe

/// A Python course image: python3, pip, venv, git, a welcome message, ttyd on 7681.
public let pythonLab = Recipe(
    name: "python-lab",
    version: "1.0.0",
    displayName: "Python lab",
    description: "Debian 13 with Python 3, pip, venv and git, a welcome page and a browser terminal for the Python course.",
    tags: ["debian", "python", "course", "terminal"],
    instancetype: "u1.small",
    preference: "debian",
    minimumCPUs: 1,
    minimumMemoryMiB: 1024,
    latest: true
) {
    CloudInit()
    student
    Install("python3", "python3-pip", "python3-venv", "git", "less", "nano")
    WriteFile("/etc/motd", contents: """

        Welcome to the Python lab.
          python3 -m venv ~/venv && . ~/venv/bin/activate   start a project
          ~/welcome.md                                       the course notes

        """)
    WriteFile("/home/student/welcome.md", contents: """
        # Python lab

        Your files live in /home/student. Run `python3` for a REPL, `git clone <url>` for the course repository.

        """, mode: 0o644, owner: FileOwner("student"))
    WebTerminal(port: 7681, user: "student")
}
