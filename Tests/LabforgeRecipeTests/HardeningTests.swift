// Recipe values that would escape a directory, break a YAML line, add a shadow line or leak into a log are refused
// or redacted before any disk is touched.
import LabforgeRecipe
import Testing

@Suite("recipe hardening")
struct RecipeHardeningTests {
    @Test("versions with a newline, control characters, '../' or a leading '/' are refused with the reason",
          arguments: ["1.0\n", "1.0\r", "1.0\u{0}", "../../etc", "/abs", "..", "1.0\nkind: Secret"])
    func unsafeVersions(version: String) throws {
        let error = try #require(throws: RecipeError.self) { try Recipe(name: "lab", version: version) {}.validate() }
        #expect(error == .invalidVersion(recipe: "lab", version: version))
        let message = error.description
        #expect(message.contains("recipe \"lab\"") && message.contains("it "), "\(message)")
        #expect(!message.contains("\n") && !message.contains("\r") && !message.contains("\u{0}"), "the message shows the value escaped")
    }

    @Test("a hostname that is not a label is reported as a hostname, not as the recipe name")
    func hostname() throws {
        let error = try #require(throws: RecipeError.self) { try Recipe(name: "lab") { Hostname("bad_host") }.validate() }
        #expect(error == .invalidHostname(recipe: "lab", hostname: "bad_host"))
        #expect(error.description.contains("hostname \"bad_host\""))
    }

    @Test("password hashes with a newline, carriage return or NUL are refused naming the recipe and the user",
          arguments: ["$6$salt$hash\nroot::0:0:99999:7:::", "$6$salt$hash\r", "$6$salt$ha\u{0}sh"])
    func passwordLineBreaks(hash: String) throws {
        let recipe = Recipe(name: "lab") { CreateUser("student", passwordHash: hash) }
        let error = try #require(throws: RecipeError.self) { try recipe.validate() }
        guard case .invalidAccountField(let name, let user, let field, _) = error else {
            Issue.record("expected invalidAccountField, got \(error)")
            return
        }
        #expect(name == "lab" && user == "student" && field == "passwordHash")
        #expect(error.description.contains("recipe lab, user student"), "\(error)")
        #expect(!error.description.contains("root::0"), "the hash itself is not repeated")
    }

    @Test("a ':' in a user or group name, comment or shell is refused; keys are one line each")
    func accountFields() {
        #expect(throws: RecipeError.invalidUserName(recipe: "lab", name: "stu:dent")) {
            try Recipe(name: "lab") { CreateUser("stu:dent") }.validate()
        }
        #expect(throws: RecipeError.invalidUserName(recipe: "lab", name: "stu\ndent")) {
            try Recipe(name: "lab") { CreateUser("stu\ndent") }.validate()
        }
        #expect(throws: RecipeError.invalidUserName(recipe: "lab", name: "wheel:x")) {
            try Recipe(name: "lab") { CreateUser("student", groups: ["wheel:x"]) }.validate()
        }
        #expect(throws: RecipeError.invalidAccountField(recipe: "lab", user: "student", field: "comment", reason: "it contains ':'")) {
            try Recipe(name: "lab") { CreateUser("student", comment: "Stu:Dent") }.validate()
        }
        #expect(throws: RecipeError.invalidAccountField(recipe: "lab", user: "student", field: "shell", reason: "it contains a newline (U+000A)")) {
            try Recipe(name: "lab") { CreateUser("student", shell: "/bin/bash\nx") }.validate()
        }
        #expect(throws: RecipeError.self) {
            try Recipe(name: "lab") { CreateUser("student", authorizedKeys: ["ssh-ed25519 AAAA a\nssh-rsa BBBB evil"]) }.validate()
        }
        #expect(throws: Never.self) {
            try Recipe(name: "lab") {
                CreateUser("student", comment: "Student One", authorizedKeys: ["ssh-ed25519 AAAAC3 student@lab"], passwordHash: "$y$j9T$salt$hash")
            }.validate()
        }
    }

    @Test("step titles and logged scripts never show a crypt hash or a chpasswd line")
    func redaction() {
        let hash = "$6$rounds=5000$saltsalt$0123456789abcdefghijABCDEFGHIJ./0123456789abcdefghijABCDEFGHIJ"
        let run = Step.run(script: "echo 'student:S3cret-pass' | chpasswd\nusermod -p '\(hash)' student")
        #expect(!run.title.contains("S3cret"), "\(run.title)")
        let logged = SecretRedaction.script("""
            set -e
            echo 'student:S3cret-pass' | chpasswd
            chpasswd <<'EOF'
            teacher:An0ther-secret
            EOF
            usermod --password '\(hash)' student
            useradd -p plainvalue other
            echo "$1$2 stays"
            """)
        #expect(!logged.contains("S3cret") && !logged.contains("An0ther") && !logged.contains("saltsalt") && !logged.contains("plainvalue"), "\(logged)")
        #expect(logged.contains("set -e") && logged.contains("echo \"$1$2 stays\"") && logged.contains("EOF"))
        #expect(logged.contains("usermod --password <redacted> student"), "\(logged)")
        #expect(SecretRedaction.containsHash(hash))
        // Written files are titled by path, mode and owner; their contents never appear.
        let credential = Step.writeFile(path: "/etc/labforge/credentials/terminal", contents: "student:T0ken-value\n", mode: 0o600, owner: .root)
        #expect(!credential.title.contains("T0ken"))
        #expect(credential.title.contains("/etc/labforge/credentials/terminal"))
    }
}
