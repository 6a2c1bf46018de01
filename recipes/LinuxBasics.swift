// linux-basics: a lab, not just a machine — two tasks with checks, an idle stop and a time limit, /home on the
// student's own disk while the rest of the system resets with every restart.
import LabforgeRecipe

/// A first Linux lab: the browser terminal, two tasks the student checks with `lab check`, a power-off after 30
/// minutes without a session or 4 hours in all, and a persistent home (`labforge class --variant persistent-home`).
public let linuxBasics = Recipe(
    name: "linux-basics",
    version: "1.0.0",
    displayName: "Linux basics lab",
    description: "Debian 13 with a browser terminal and two checked tasks: files and permissions. Stops after 30 minutes idle; your home directory survives a reset.",
    tags: ["debian", "terminal", "course", "tasks"],
    instancetype: "u1.small",
    preference: "debian",
    minimumCPUs: 1,
    minimumMemoryMiB: 1024,
    latest: true
) {
    CloudInit()
    student
    Install("less", "nano", "tree")
    WebTerminal(port: 7681, user: "student")
    LabTasks(user: "student") {
        LabTask(
            "Make a project directory",
            instructions: """
                Create the directory `~/project` and in it a file `notes.txt` whose first line is `hello lab`.

                    mkdir ~/project
                    echo "hello lab" > ~/project/notes.txt

                Run `lab check 1` when you are done.
                """,
            check: #"test "$(head -n 1 /home/$LAB_USER/project/notes.txt 2>/dev/null)" = "hello lab""#,
            solve: #"runuser -u "$LAB_USER" -- sh -c 'mkdir -p ~/project && echo "hello lab" > ~/project/notes.txt'"#,
            hint: "`echo TEXT > FILE` writes TEXT into FILE; `cat FILE` shows it.")
        LabTask(
            "Keep your notes private",
            instructions: """
                Nobody but you should read `~/project/notes.txt`: make it readable and writable by you alone
                (mode `600`). `ls -l ~/project` shows the mode.
                """,
            check: #"test "$(stat -c %a /home/$LAB_USER/project/notes.txt 2>/dev/null)" = 600"#,
            solve: #"runuser -u "$LAB_USER" -- chmod 600 "/home/$LAB_USER/project/notes.txt""#,
            hint: "`chmod` changes a file's mode; `chmod 600 FILE` leaves read and write to its owner.")
    }
    LabLifetime(idleStop: .minutes(30), timeLimit: .hours(4), warning: .minutes(5))
    PersistentHome()
}
