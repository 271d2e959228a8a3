import ArgumentParser

@main
struct AggregatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aggregator",
        abstract: "FedMQ aggregator (not yet implemented)."
    )

    func run() async throws {
        throw ValidationError("the aggregator is not implemented yet")
    }
}
