import ArgumentParser
struct PackageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "package")
}
