// What a lab image asks of the student and how long it runs, as the catalog card shows it.
import LabforgeRecipe

extension CatalogEntry {
    /// A lab's tasks and lifetime (`lab` in `catalog.json`): from the recipe's `LabTasks` and `LabLifetime`.
    public struct Lab: Sendable, Hashable, Codable {
        /// The tasks' titles, in order.
        public var tasks: [String]
        /// Seconds without a session before the lab powers off (nil: never for idleness).
        public var idleStopSeconds: Int?
        /// Seconds of uptime before it powers off (nil: no limit).
        public var timeLimitSeconds: Int?

        /// Creates a record.
        /// - Parameters:
        ///   - tasks: Task titles.
        ///   - idleStopSeconds: Idle stop.
        ///   - timeLimitSeconds: Time limit.
        public init(tasks: [String], idleStopSeconds: Int? = nil, timeLimitSeconds: Int? = nil) {
            self.tasks = tasks
            self.idleStopSeconds = idleStopSeconds
            self.timeLimitSeconds = timeLimitSeconds
        }

        /// The record of `recipe`, nil when it has neither tasks nor a lifetime.
        /// - Parameter recipe: The recipe.
        public init?(recipe: Recipe) {
            guard recipe.tasks != nil || recipe.lifetime != nil else { return nil }
            tasks = recipe.tasks?.tasks.map(\.title) ?? []
            idleStopSeconds = recipe.lifetime?.idleStop.map(LabLifetime.seconds)
            timeLimitSeconds = recipe.lifetime?.timeLimit.map(LabLifetime.seconds)
        }

        /// Whether the lab powers itself off (its VMs keep that power-off: ``Kube/ImageDescription/stopsItself``).
        public var stopsItself: Bool { idleStopSeconds != nil || timeLimitSeconds != nil }

        /// The card's lines: the tasks as an ordered list, the lifetime in words (HTML-escaped).
        var facts: [(String, String)] {
            var facts: [(String, String)] = []
            if !tasks.isEmpty {
                facts.append(("Tasks", "<ol class=\"tasks\">" + tasks.map { "<li>\(CatalogPage.escape($0))</li>" }.joined() + "</ol>"))
            }
            let stops = [
                idleStopSeconds.map { "after \(Self.words($0)) without a session" },
                timeLimitSeconds.map { "after \(Self.words($0)) in all" },
            ].compactMap { $0 }
            if !stops.isEmpty { facts.append(("Stops", CatalogPage.escape(stops.joined(separator: "; ")))) }
            return facts
        }

        static func words(_ seconds: Int) -> String {
            if seconds % 3600 == 0 { return "\(seconds / 3600) h" }
            if seconds % 60 == 0 { return "\(seconds / 60) min" }
            return "\(seconds) s"
        }
    }
}
