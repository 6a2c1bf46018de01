// A lab's ordered tasks as a recipe component: the texts and root-only scripts baked into the image, the `lab` command,
// and the root service that runs the checks a student asks for.
import Naming

/// The tasks of a lab, in order, written in a recipe body:
///
/// ```swift
/// LabTasks(user: "student") {
///     LabTask("Start nginx", instructions: "Start the web server.", check: "systemctl is-active --quiet nginx",
///             solve: "systemctl start nginx", hint: "systemctl has a verb for it")
/// }
/// ```
///
/// In the image: each task under ``shareDirectory``/`NN/` (`title`, `title.json` — the title as a JSON string, which
/// `MessageText.quoted` is for a title validation keeps free of control characters —, `instructions.md`, `hint`; `check` and `solve` mode
/// 0700, readable by root alone), the `lab` command at ``commandPath``, and ``pathUnitName`` watching
/// ``requestDirectory``. A student's `lab check` only *asks* (an empty file named `<id>.<all|N>` in the sticky,
/// world-writable ``requestDirectory``); ``serviceUnitName`` runs the checks as root, each under `timeout`
/// (``checkTimeoutSeconds``) with `LAB_TASK`, `LAB_TASK_TITLE` and `LAB_USER` set, records them in ``resultsPath``
/// (root-owned, written atomically) and answers in ``answerDirectory``. Run as root (the guest agent's `guest-exec`,
/// `labforge verify`), `lab check` runs the checks itself, and `lab solve N` runs a task's solve script.
public struct LabTasks: RecipeComponent, Sendable, Hashable, Codable {
    /// The lab user (`LAB_USER` in the checks' environment; must exist).
    public var user: String
    /// Seconds each check (and solve) may run before it is ended and counted as not done.
    public var checkTimeoutSeconds: Int
    /// The tasks, in order (numbered from 1).
    public var tasks: [LabTask]

    /// The most tasks a lab holds (two-digit directories, one screen of `lab`).
    public static let maximumCount = 50
    /// Where the tasks' texts and scripts live in the image, one `NN/` directory each.
    public static let shareDirectory = "/usr/local/share/labforge/tasks"
    /// The in-guest command.
    public static let commandPath = "/usr/local/bin/lab"
    /// Root-owned results: one `state/NN` line per checked task (`passed|failed <UTC time>`) and ``resultsPath``.
    public static let stateDirectory = "/var/lib/labforge/tasks"
    /// The machine-readable results the teacher reads back (see ``LabCommand/resultsShape``).
    public static let resultsPath = "\(stateDirectory)/results.json"
    /// Where a student's `lab check` drops its request (mode 1733: anyone creates, nobody lists or removes others').
    public static let requestDirectory = "/run/lab/requests"
    /// Where the check service answers (root-owned, readable).
    public static let answerDirectory = "/run/lab/answers"
    /// The unit that watches ``requestDirectory``.
    public static let pathUnitName = "lab-check.path"
    /// The root oneshot it starts (`lab --serve`).
    public static let serviceUnitName = "lab-check.service"
    /// Creates ``requestDirectory`` and ``answerDirectory`` at every boot.
    public static let tmpfilesPath = "/etc/tmpfiles.d/labforge-lab-tasks.conf"

    /// Creates the task list.
    /// - Parameters:
    ///   - user: The lab user.
    ///   - checkTimeoutSeconds: Time limit of each check and solve (60 s by default).
    ///   - tasks: The tasks, in order.
    public init(user: String = "student", checkTimeoutSeconds: Int = 60, @LabTaskBuilder tasks: () -> [LabTask]) {
        self.user = user
        self.checkTimeoutSeconds = checkTimeoutSeconds
        self.tasks = tasks()
    }

    public var items: [RecipeItem] { [.tasks(self)] }

    /// The directory of task `number` (1-based): ``shareDirectory``/`NN`.
    /// - Parameter number: The task's number.
    /// - Returns: Its directory in the image.
    public static func directory(of number: Int) -> String {
        "\(shareDirectory)/\(number < 10 ? "0" : "")\(number)"
    }

    /// Seconds the check service may run for one request: every check at its limit, with slack.
    public var serviceTimeoutSeconds: Int { tasks.count * (checkTimeoutSeconds + 10) + 30 }

    /// The `lab` command's text (POSIX sh).
    public var command: String { LabCommand(tasks: self).script }

    /// The steps: the task files, the command, the state directory, the request directories, the path unit and its
    /// service.
    public var steps: [Step] {
        var steps: [Step] = [
            .makeDirectory(path: "/usr/local/share/labforge", mode: 0o755, owner: .root),
            .makeDirectory(path: Self.shareDirectory, mode: 0o755, owner: .root),
        ]
        for (index, task) in tasks.enumerated() {
            let directory = Self.directory(of: index + 1)
            steps += [
                .makeDirectory(path: directory, mode: 0o755, owner: .root),
                .writeFile(path: "\(directory)/title", contents: task.title + "\n", mode: 0o644, owner: .root),
                .writeFile(path: "\(directory)/title.json", contents: MessageText.quoted(task.title) + "\n", mode: 0o644, owner: .root),
                .writeFile(path: "\(directory)/instructions.md", contents: Self.line(task.instructions), mode: 0o644, owner: .root),
                .writeFile(path: "\(directory)/check", contents: Self.line(task.check), mode: 0o700, owner: .root),
            ]
            if let hint = task.hint { steps.append(.writeFile(path: "\(directory)/hint", contents: Self.line(hint), mode: 0o644, owner: .root)) }
            if let solve = task.solve { steps.append(.writeFile(path: "\(directory)/solve", contents: Self.line(solve), mode: 0o700, owner: .root)) }
        }
        steps += [
            .writeFile(path: Self.commandPath, contents: command, mode: 0o755, owner: .root),
            .makeDirectory(path: "/var/lib/labforge", mode: 0o755, owner: .root),
            .makeDirectory(path: Self.stateDirectory, mode: 0o755, owner: .root),
            .writeFile(path: Self.tmpfilesPath, contents: Self.tmpfiles, mode: 0o644, owner: .root),
            .writeFile(path: "/etc/systemd/system/\(Self.serviceUnitName)", contents: serviceUnit, mode: 0o644, owner: .root),
            .writeFile(path: "/etc/systemd/system/\(Self.pathUnitName)", contents: Self.pathUnit, mode: 0o644, owner: .root),
            .unit(name: Self.pathUnitName, action: .enable),
        ]
        return steps
    }

    /// systemd-tmpfiles lines for the request and answer directories.
    public static var tmpfiles: String {
        """
        # Written by labforge: where `lab check` asks the root check service and where it answers.
        d /run/lab 0755 root root -
        d \(requestDirectory) 1733 root root -
        d \(answerDirectory) 0755 root root -

        """
    }

    /// The `.path` unit: starts ``serviceUnitName`` while ``requestDirectory`` holds a request.
    public static var pathUnit: String {
        """
        # Written by labforge.
        [Unit]
        Description=labforge: lab checks a student asks for (\(requestDirectory))

        [Path]
        DirectoryNotEmpty=\(requestDirectory)
        Unit=\(serviceUnitName)

        [Install]
        WantedBy=paths.target

        """
    }

    /// The root oneshot that answers requests (started by the path unit only; bounded by ``serviceTimeoutSeconds``).
    public var serviceUnit: String {
        """
        # Written by labforge.
        [Unit]
        Description=labforge: run the lab checks asked for in \(Self.requestDirectory)

        [Service]
        Type=oneshot
        ExecStart=\(Self.commandPath) --serve
        TimeoutStartSec=\(serviceTimeoutSeconds)

        """
    }

    private static func line(_ text: String) -> String { text.hasSuffix("\n") || text.isEmpty ? text : text + "\n" }
}
