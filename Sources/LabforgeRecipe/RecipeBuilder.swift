// The result builder behind a recipe's body: steps and agents, written one per line.

/// Something that can appear in a recipe body: a step, an agent, the lab's tasks or its lifetime.
public protocol RecipeComponent: Sendable {
    /// What this component contributes, in order.
    var items: [RecipeItem] { get }
}

/// One entry of a recipe body.
public enum RecipeItem: Sendable, Hashable, Codable {
    /// A plain step.
    case step(Step)
    /// An agent (which expands into steps and declares ports and probes).
    case agent(Agent)
    /// The lab's tasks (``LabTasks``: texts, checks and the `lab` command).
    case tasks(LabTasks)
    /// When the lab powers itself off (``LabLifetime``).
    case lifetime(LabLifetime)
}

/// Builds a recipe body from components, with `if`, `if/else` and `for` support.
@resultBuilder
public enum RecipeBuilder {
    /// Collects components.
    public static func buildBlock(_ components: [RecipeItem]...) -> [RecipeItem] { components.flatMap { $0 } }
    /// Turns one component into items.
    public static func buildExpression(_ component: any RecipeComponent) -> [RecipeItem] { component.items }
    /// Accepts raw steps.
    public static func buildExpression(_ step: Step) -> [RecipeItem] { [.step(step)] }
    /// `if` without `else`.
    public static func buildOptional(_ items: [RecipeItem]?) -> [RecipeItem] { items ?? [] }
    /// `if/else`, first branch.
    public static func buildEither(first items: [RecipeItem]) -> [RecipeItem] { items }
    /// `if/else`, second branch.
    public static func buildEither(second items: [RecipeItem]) -> [RecipeItem] { items }
    /// `for` loops.
    public static func buildArray(_ items: [[RecipeItem]]) -> [RecipeItem] { items.flatMap { $0 } }
}

extension Step: RecipeComponent {
    /// A step contributes itself.
    public var items: [RecipeItem] { [.step(self)] }
}
