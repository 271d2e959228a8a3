import ArgumentParser
import CommandSupport

@main
struct FedMQCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fedmq",
        abstract: "FedMQ: federated learning in Swift over ZeroMQ.",
        version: FedMQVersion.current,
        subcommands: [BenchCommand.self, TrainCommand.self, RunCommand.self, LoadGenCommand.self, ShardsCommand.self, KeygenCommand.self]
    )
}
