// Shipped lab images, one file each, registered in the one list below.
import LabforgeRecipe

/// The recipes labforge ships.
public enum Recipes {
    /// Every shipped recipe; add a new image here.
    public static let all: [Recipe] = [debianTerminal, debianDesktop, pythonLab]

    /// The recipe with this name.
    /// - Parameter name: A recipe name.
    /// - Returns: The recipe, or `nil`.
    public static func named(_ name: String) -> Recipe? {
        all.first { $0.name == name }
    }

    /// Validates every recipe and checks names are unique.
    /// - Throws: The first ``RecipeError``.
    public static func validateAll() throws {
        var seen: Set<String> = []
        for recipe in all {
            try recipe.validate()
            guard seen.insert(recipe.name).inserted else { throw RecipeError.duplicateRecipe(recipe.name) }
        }
    }
}

/// The lab user every shipped image has: uid 1000, no password (cloud-init adds keys or a password at boot).
let student = CreateUser("student", uid: 1000, comment: "Lab Student", groups: ["users"], shell: "/bin/bash")
