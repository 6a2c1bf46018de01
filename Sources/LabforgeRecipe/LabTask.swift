// One step of a lab a student works through: what to do, and the root script that says it is done.

/// A task of a lab: a title, instructions in Markdown, a `check` script (exit 0 = done) and optionally a `solve` script
/// and a hint. Written inside ``LabTasks``; the image holds them under ``LabTasks/shareDirectory`` and the `lab` command
/// runs the checks as root.
public struct LabTask: Sendable, Hashable, Codable {
    /// One line shown in `lab` and in `results.json`.
    public var title: String
    /// What to do, in Markdown (shown by `lab` for the current task).
    public var instructions: String
    /// A POSIX sh script run as root (`sh -eu` is not implied): exit status 0 means the task is done.
    public var check: String
    /// A POSIX sh script run as root that does the task (for the teacher and `labforge verify`; students cannot read it).
    public var solve: String?
    /// A hint `lab hint` shows for the current task.
    public var hint: String?

    /// Creates a task.
    /// - Parameters:
    ///   - title: One line.
    ///   - instructions: Markdown.
    ///   - check: sh script, exit 0 = done.
    ///   - solve: sh script that does the task.
    ///   - hint: Shown by `lab hint`.
    public init(_ title: String, instructions: String = "", check: String, solve: String? = nil, hint: String? = nil) {
        self.title = title
        self.instructions = instructions
        self.check = check
        self.solve = solve
        self.hint = hint
    }
}

/// Builds the ordered task list of ``LabTasks``, with `if` and `for` support.
@resultBuilder
public enum LabTaskBuilder {
    /// Collects tasks.
    public static func buildBlock(_ tasks: [LabTask]...) -> [LabTask] { tasks.flatMap { $0 } }
    /// One task.
    public static func buildExpression(_ task: LabTask) -> [LabTask] { [task] }
    /// `if` without `else`.
    public static func buildOptional(_ tasks: [LabTask]?) -> [LabTask] { tasks ?? [] }
    /// `if/else`, first branch.
    public static func buildEither(first tasks: [LabTask]) -> [LabTask] { tasks }
    /// `if/else`, second branch.
    public static func buildEither(second tasks: [LabTask]) -> [LabTask] { tasks }
    /// `for` loops.
    public static func buildArray(_ tasks: [[LabTask]]) -> [LabTask] { tasks.flatMap { $0 } }
}
