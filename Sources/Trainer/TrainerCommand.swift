import ArgumentParser

@main
struct TrainerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trainer",
        abstract: "FedMQ trainer (not yet implemented)."
    )

    func run() async throws {
        throw ValidationError("the trainer is not implemented yet")
    }
}
