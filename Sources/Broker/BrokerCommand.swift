import ArgumentParser

@main
struct BrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker",
        abstract: "FedMQ broker (not yet implemented)."
    )

    func run() async throws {
        throw ValidationError("the broker is not implemented yet")
    }
}
