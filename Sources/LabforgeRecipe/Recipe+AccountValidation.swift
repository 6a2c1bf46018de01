// Checks a created user's fields before they reach useradd, usermod and /etc/passwd or /etc/shadow lines.
import Naming

extension Recipe {
    /// Every field of an account goes into a colon-separated, line-based file (`/etc/passwd`, `/etc/shadow`) or a
    /// line-based one (`authorized_keys`): a newline, carriage return, NUL or `:` there would write extra lines or
    /// fields, so they are refused here, naming the recipe and the user.
    func validate(_ account: UserAccount) throws {
        guard Self.isUserName(account.name) else { throw RecipeError.invalidUserName(recipe: name, name: account.name) }
        for group in account.groups where !Self.isUserName(group) {
            throw RecipeError.invalidUserName(recipe: name, name: group)
        }
        if let hash = account.passwordHash {
            if let reason = Self.lineFieldProblem(hash, colonAllowed: false) {
                throw RecipeError.invalidAccountField(recipe: name, user: account.name, field: "passwordHash", reason: reason)
            }
            guard Self.isCryptHash(hash) else { throw RecipeError.passwordNotHashed(recipe: name, user: account.name) }
        }
        if let reason = Self.lineFieldProblem(account.comment, colonAllowed: false) {
            throw RecipeError.invalidAccountField(recipe: name, user: account.name, field: "comment", reason: reason)
        }
        if let reason = Self.lineFieldProblem(account.shell, colonAllowed: false) ?? (account.shell.hasPrefix("/") ? nil : "it is not an absolute path") {
            throw RecipeError.invalidAccountField(recipe: name, user: account.name, field: "shell", reason: reason)
        }
        for key in account.authorizedKeys {
            if let reason = Self.lineFieldProblem(key, colonAllowed: true) {
                throw RecipeError.invalidAccountField(recipe: name, user: account.name, field: "authorizedKeys", reason: reason)
            }
        }
    }

    /// Why `text` cannot be one field of one line: a control character (newline, carriage return, NUL, …), or a `:`
    /// where fields are colon-separated.
    static func lineFieldProblem(_ text: String, colonAllowed: Bool) -> String? {
        if let bad = text.unicodeScalars.first(where: { MessageText.isControl($0) || (!colonAllowed && $0 == ":") }) {
            return "it contains \(MessageText.describe(bad))"
        }
        return nil
    }
}
