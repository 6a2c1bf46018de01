// What can be wrong with a recipe before any disk is touched.
import Naming

/// A recipe that cannot be right. Found by ``Recipe/validate()``.
public enum RecipeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The name is not a DNS-1123 label.
    case invalidName(String)
    /// The version is empty or has characters an OCI tag (and a path component) cannot hold.
    case invalidVersion(recipe: String, version: String)
    /// A `Hostname` step's name is not a DNS-1123 label.
    case invalidHostname(recipe: String, hostname: String)
    /// A guest path is relative.
    case relativeGuestPath(recipe: String, step: String, path: String)
    /// Two agents (or one twice) listen on the same port.
    case portConflict(recipe: String, port: Int, agents: [String])
    /// A port number outside 1–65535.
    case invalidPort(recipe: String, agent: String, port: Int)
    /// The same agent kind appears twice.
    case duplicateAgent(recipe: String, agent: String)
    /// Permission bits outside 0–7777 (octal).
    case invalidMode(recipe: String, step: String, mode: Int)
    /// An agent runs as a user the recipe does not create.
    case unknownUser(recipe: String, agent: String, user: String)
    /// A user or group name the guest tools would refuse.
    case invalidUserName(recipe: String, name: String)
    /// A password that is not a crypt(3) hash.
    case passwordNotHashed(recipe: String, user: String)
    /// A field of a created user (password hash, comment, shell, SSH key) that would break its line in
    /// `/etc/shadow`, `/etc/passwd` or `authorized_keys`: a newline, carriage return, NUL or `:`.
    case invalidAccountField(recipe: String, user: String, field: String, reason: String)
    /// A unit name without a unit suffix, or with a slash.
    case invalidUnitName(recipe: String, name: String)
    /// An install or remove step with no packages.
    case emptyPackageList(recipe: String, step: String)
    /// A pinned artifact whose sha256 is not 64 hex digits, or whose URL is not http(s).
    case invalidArtifact(recipe: String, url: String)
    /// A first-boot name that cannot be a file name.
    case invalidFirstBootName(recipe: String, name: String)
    /// Minimum CPUs, memory or disk size that are not positive.
    case invalidResources(recipe: String, detail: String)
    /// Two recipes with one name in a list.
    case duplicateRecipe(String)
    /// A VM image that claims no firmware (it could never be started).
    case noFirmware(recipe: String)
    /// A foreign architecture asked of a base that is one architecture's disk (upstream or local).
    case architectureNeedsBootstrap(recipe: String, architecture: String)
    /// An agent's auth mode cannot work as written (a fixed credential with a newline, a VNC password of the wrong length…).
    case invalidAgentAuth(recipe: String, agent: String, reason: String)
    /// ``LabTasks`` that cannot work: no task, too many, or a task (`task`: its number and title) with an empty title or
    /// script.
    case invalidTasks(recipe: String, task: String?, reason: String)
    /// A ``LabLifetime`` that cannot work: no window, a window under a minute, a warning not shorter than its window.
    case invalidLifetime(recipe: String, reason: String)

    public var description: String {
        switch self {
        case .invalidName(let name):
            return "recipe name \(MessageText.quoted(name)) is not a DNS-1123 label (\(DNSLabel.problem(name) ?? "invalid")): \(DNSLabel.rule)"
        case .invalidVersion(let recipe, let version):
            return "recipe \(MessageText.quoted(recipe)): version \(MessageText.quoted(version)) cannot be an image tag or a directory name "
                + "(\(ImageVersion.problem(version) ?? "invalid")): \(ImageVersion.rule)"
        case .invalidHostname(let recipe, let hostname):
            return "recipe \(recipe): hostname \(MessageText.quoted(hostname)) is not a DNS-1123 label (\(DNSLabel.problem(hostname) ?? "invalid")): \(DNSLabel.rule)"
        case .relativeGuestPath(let recipe, let step, let path):
            return "recipe \(recipe), step \"\(step)\": guest path \"\(path)\" is relative; write it from / (e.g. /\(path))"
        case .portConflict(let recipe, let port, let agents):
            return "recipe \(recipe): port \(port) is used by \(agents.joined(separator: " and ")); give each agent its own port"
        case .invalidPort(let recipe, let agent, let port):
            return "recipe \(recipe): \(agent) port \(port) is not a TCP port (1–65535)"
        case .duplicateAgent(let recipe, let agent):
            return "recipe \(recipe): \(agent) appears twice; an image runs one of each agent"
        case .invalidMode(let recipe, let step, let mode):
            return "recipe \(recipe), step \"\(step)\": mode \(String(mode, radix: 8)) is not a permission mode (0–7777 octal; write 0o644)"
        case .unknownUser(let recipe, let agent, let user):
            return "recipe \(recipe): \(agent) runs as \"\(user)\", which the recipe does not create; add CreateUser(\"\(user)\") before it"
        case .invalidUserName(let recipe, let name):
            return "recipe \(recipe): \(MessageText.quoted(name)) is not a valid user or group name (lower-case letter or '_' first, then letters, digits, '_', '-'; at most 32)"
        case .passwordNotHashed(let recipe, let user):
            return "recipe \(recipe): the password of \(user) is not a crypt(3) hash; put the output of `openssl passwd -6` (\"$6$…\") in passwordHash, never a clear password"
        case .invalidAccountField(let recipe, let user, let field, let reason):
            return "recipe \(recipe), user \(user): \(field): \(reason); each field of an account is one line without control characters"
                + (field == "authorizedKeys" ? " (one key per array element)" : " or ':'")
                + (field == "passwordHash" ? " — put the single line `openssl passwd -6` prints" : "")
        case .invalidUnitName(let recipe, let name):
            return "recipe \(recipe): \"\(name)\" is not a systemd unit name (e.g. ssh.service, no '/')"
        case .emptyPackageList(let recipe, let step):
            return "recipe \(recipe): step \"\(step)\" names no package"
        case .invalidArtifact(let recipe, let url):
            return "recipe \(recipe): pinned artifact \(url) needs an http(s) URL and a sha256 of 64 hex digits"
        case .invalidFirstBootName(let recipe, let name):
            return "recipe \(recipe): first-boot name \"\(name)\" must be letters, digits and '-'"
        case .invalidResources(let recipe, let detail):
            return "recipe \(recipe): \(detail)"
        case .architectureNeedsBootstrap(let recipe, let architecture):
            return "recipe \(recipe): \(architecture) is built from a Debian bootstrap base (base: .defaultDebian or .debianBootstrap(…)); an upstream or local disk is one architecture's — build it for amd64 alone"
        case .noFirmware(let recipe):
            return "recipe \(recipe): firmware is empty; name what the VM boots under, e.g. firmware: [.uefiSecureBoot, .bios] (the default)"
        case .invalidAgentAuth(let recipe, let agent, let reason):
            return "recipe \(recipe): \(agent) auth: \(reason)"
        case .duplicateRecipe(let name):
            return "two recipes are named \(name); names must be unique"
        case .invalidTasks(let recipe, let task, let reason):
            return "recipe \(recipe), LabTasks" + (task.map { ", task \($0)" } ?? "") + ": \(reason)"
        case .invalidLifetime(let recipe, let reason):
            return "recipe \(recipe), LabLifetime: \(reason) (idleStop and timeLimit at least a minute, the warning shorter than each)"
        }
    }
}
