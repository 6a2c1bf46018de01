// Issue 28's recipe side: LabTasks and LabLifetime in a recipe body, what they bake into the image, and the
// validation errors that name the task or the window at fault.
import Foundation
import LabforgeRecipe
import Testing

/// A recipe the lab tests share: a terminal, a desktop, two tasks and a lifetime.
enum LabRecipes {
    static let twoTasks = LabTasks(user: "student") {
        LabTask("Create the notes file", instructions: "Write `hello` into **/srv/notes.txt**.",
                check: #"grep -qx hello "${LAB_ROOT:-}/srv/notes.txt""#, solve: #"mkdir -p "${LAB_ROOT:-}/srv" && echo hello > "${LAB_ROOT:-}/srv/notes.txt""#,
                hint: "echo can write into a file with >")
        LabTask(#"Say "done""#, instructions: "Create /srv/done.", check: #"test -e "${LAB_ROOT:-}/srv/done""#)
    }

    static func recipe(lifetime: LabLifetime? = LabLifetime(idleStop: .minutes(30), timeLimit: .hours(4))) -> Recipe {
        Recipe(name: "lab-tasks") {
            CreateUser("student")
            WebTerminal(user: "student")
            WebDesktop(user: "student")
            twoTasks
            if let lifetime { lifetime }
        }
    }
}

@Suite("LabTasks and LabLifetime in a recipe")
struct LabTasksTests {
    @Test("the DSL keeps the tasks in order; the recipe finds them and its lifetime; the plan bakes texts, root-only scripts, lab, the path unit and lab-idle")
    func planned() throws {
        let recipe = LabRecipes.recipe()
        try recipe.validate()
        #expect(recipe.tasks?.tasks.map(\.title) == ["Create the notes file", #"Say "done""#])
        #expect(recipe.lifetime?.idleStop == .seconds(1800) && recipe.lifetime?.timeLimit == .seconds(14400))
        let steps = recipe.plan.map(\.step)
        let first = LabTasks.directory(of: 1)
        #expect(first == "/usr/local/share/labforge/tasks/01")
        #expect(steps.contains(.writeFile(path: first + "/check", contents: #"grep -qx hello "${LAB_ROOT:-}/srv/notes.txt""# + "\n", mode: 0o700, owner: .root)))
        #expect(steps.contains { if case .writeFile(first + "/solve", _, 0o700, .root) = $0 { return true } else { return false } })
        #expect(steps.contains(.writeFile(path: LabTasks.directory(of: 2) + "/title.json", contents: #""Say \"done\"""# + "\n", mode: 0o644, owner: .root)))
        #expect(!steps.contains { if case .writeFile(LabTasks.directory(of: 2) + "/solve", _, _, _) = $0 { return true } else { return false } })
        #expect(steps.contains { if case .writeFile(LabTasks.commandPath, _, 0o755, .root) = $0 { return true } else { return false } })
        #expect(steps.contains(.unit(name: LabTasks.pathUnitName, action: .enable)))
        #expect(steps.contains(.writeFile(path: LabTasks.tmpfilesPath, contents: LabTasks.tmpfiles, mode: 0o644, owner: .root)))
        #expect(LabTasks.tmpfiles.contains("d /run/lab/requests 1733 root root -"))
        #expect(steps.contains(.unit(name: LabLifetime.unitName, action: .enable)))
        #expect(steps.contains(.install([PackageRequest("iproute2"), PackageRequest("x11-utils")])))
        // The idle script counts the agents' ports and SSH, warns the terminal user on the desktop's display.
        let idle = try #require(recipe.lifetime).script(for: recipe)
        #expect(idle.ports == [7681, 6080, 22] && idle.user == "student" && idle.display == 1)
        #expect(idle.idleStopSeconds == 1800 && idle.timeLimitSeconds == 14400 && idle.warningSeconds == 300)
    }

    @Test("without a desktop, no x11-utils; a lifetime alone needs no tasks; a recipe without either plans as before")
    func lifetimeAlone() throws {
        let recipe = Recipe(name: "timed") {
            CreateUser("student")
            WebTerminal(user: "student")
            LabLifetime(timeLimit: .hours(1))
        }
        try recipe.validate()
        #expect(recipe.tasks == nil)
        #expect(recipe.plan.map(\.step).contains(.install([PackageRequest("iproute2")])))
        #expect(try #require(recipe.lifetime).script(for: recipe).display == nil)
        let plain = Recipe(name: "plain") { CreateUser("student"); WebTerminal(user: "student") }
        #expect(plain.lifetime == nil && plain.tasks == nil)
        #expect(!plain.plan.contains { $0.step == .unit(name: LabLifetime.unitName, action: .enable) })
    }

    @Test("validation names the task or the window at fault")
    func validation() {
        func error(@RecipeBuilder _ body: () -> [RecipeItem]) -> String {
            do {
                try Recipe(name: "bad", body: body).validate()
                return "accepted"
            } catch { return "\(error)" }
        }
        #expect(error { CreateUser("student"); LabTasks {} } == "recipe bad, LabTasks: LabTasks holds no task")
        #expect(error { CreateUser("student"); LabTasks { LabTask(" ", check: "true") } }.contains("task 1 (\" \"): the title is empty"))
        #expect(error { CreateUser("student"); LabTasks { LabTask("One", check: "true"); LabTask("Two", check: "\n") } }
            .contains("task 2 (\"Two\"): the check script is empty"))
        #expect(error { CreateUser("student"); LabTasks { LabTask("One", check: "true", solve: "") } }.contains("task 1 (\"One\"): the solve script is empty"))
        #expect(error { CreateUser("student"); LabTasks { LabTask("A\nB", check: "true") } }.contains("the title is one line of text"))
        #expect(error { CreateUser("student"); LabTasks { for n in 1...51 { LabTask("T\(n)", check: "true") } } }.contains("51 tasks; a lab holds at most 50"))
        #expect(error { LabTasks(user: "alice") { LabTask("One", check: "true") } }.contains("LabTasks runs as \"alice\""))
        #expect(error { CreateUser("student"); LabTasks { LabTask("One", check: "true") }; LabTasks { LabTask("Two", check: "true") } }
            .contains("more than once"))
        #expect(error { LabLifetime() }.contains("it sets neither idleStop nor timeLimit"))
        #expect(error { LabLifetime(idleStop: .seconds(30)) }.contains("idleStop (30 s) is shorter than 60 s"))
        #expect(error { LabLifetime(idleStop: .seconds(90), warning: .seconds(90)) }.contains("the warning (90 s) is not shorter than idleStop (90 s)"))
        #expect(error { LabLifetime(timeLimit: .hours(1), extraPorts: [0]) }.contains("extra port 0 is not a TCP port"))
        #expect(error { LabLifetime(idleStop: .seconds(90), warning: .seconds(30)) } == "accepted")
    }

    @Test("the tasks and the lifetime survive a JSON round trip of the recipe (the build's fingerprint encodes the body)")
    func codable() throws {
        let recipe = LabRecipes.recipe()
        #expect(try JSONDecoder().decode(Recipe.self, from: JSONEncoder().encode(recipe)) == recipe)
    }
}
