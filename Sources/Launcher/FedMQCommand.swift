import ArgumentParser

@main
struct FedMQCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fedmq",
        abstract: "FedMQ: federated learning in Swift over ZeroMQ.",
        subcommands: [BenchCommand.self, TrainCommand.self, RunCommand.self, LoadGenCommand.self, ShardsCommand.self, KeygenCommand.self]
    )
}
