// The resolved plan of a recipe: every step the engine runs, in order, with where it came from.

/// One step of a resolved plan.
public struct PlannedStep: Sendable, Hashable {
    /// Where the step came from.
    public enum Origin: Sendable, Hashable, CustomStringConvertible {
        /// Written in the recipe body.
        case recipe
        /// Expanded from an agent.
        case agent(String)
        /// The final generalization.
        case sysprep

        public var description: String {
            switch self {
            case .recipe: return "recipe"
            case .agent(let kind): return kind
            case .sysprep: return "sysprep"
            }
        }
    }

    /// 1-based position.
    public var number: Int
    /// Where it came from.
    public var origin: Origin
    /// The step.
    public var step: Step
}

extension Recipe {
    /// The steps the engine runs, in order: disk growth first (the root filesystem must not be mounted),
    /// then the body with agents expanded in place, then sysprep.
    public var plan: [PlannedStep] {
        var steps: [(PlannedStep.Origin, Step)] = []
        for item in body {
            switch item {
            case .step(let step): steps.append((.recipe, step))
            case .agent(let agent): steps += agent.steps.map { (.agent(agent.kind), $0) }
            case .tasks(let tasks): steps += tasks.steps.map { (.recipe, $0) }
            case .lifetime(let lifetime): steps += lifetime.steps(for: self).map { (.recipe, $0) }
            }
        }
        // After every agent (and the users they run as): the unit that hands them their boot credentials.
        steps += bootCredentialSteps.map { (.agent("BootCredentials"), $0) }
        let growth = steps.filter { if case .growRoot = $0.1 { return true } else { return false } }
        let rest = steps.filter { if case .growRoot = $0.1 { return false } else { return true } }
        var ordered = growth + rest
        if let sysprep { ordered.append((.sysprep, .sysprep(sysprep))) }
        // Pinned artifacts as the image's architecture (the first, for a recipe not yet built for one) installs them.
        let architecture = architectures.first ?? .amd64
        return ordered.enumerated().map {
            PlannedStep(number: $0.offset + 1, origin: $0.element.0, step: $0.element.1.resolvingArtifacts(for: architecture))
        }
    }
}

extension Step {
    /// The step with every pinned artifact it installs resolved for `architecture`.
    func resolvingArtifacts(for architecture: Architecture) -> Step {
        guard case .install(let requests) = self else { return self }
        return .install(requests.map { PackageRequest($0.name, source: $0.source.resolved(for: architecture)) })
    }
}
