import ArgumentParser
import FedMQTransport
import ZeroMQ

/// `fedmq keygen`: CURVE key pairs for an encrypted federation.
struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Generate CURVE key pairs (Z85 text) for the broker, the aggregator and the trainers.",
        discussion: """
            Writes into --out: NAME.key (the secret key, mode 0600) and NAME.pub (the public key) for every --name and for trainer-1 … trainer-N (--trainers N); allowed_keys, the public keys of every name but 'broker' (the broker's --allowed-keys-file); trainer_keys, the public keys of the names starting with 'trainer' (the aggregator's --trainer-keys-file). Existing files are never overwritten.

            Wiring: broker --curve-secret-key-file broker.key --allowed-keys-file allowed_keys --aggregator-keys-file aggregator.pub; aggregator --curve-server-key-file broker.pub --curve-secret-key-file aggregator.key --trainer-keys-file trainer_keys; trainer --curve-server-key-file broker.pub --curve-secret-key-file trainer-1.key. Every option also reads FEDMQ_* variables, with a _FILE variant for mounted secrets. See docs/SECURITY.md.
            """
    )

    @Option(help: "Directory for the key files (created).")
    var out = "keys"

    @Option(name: .customLong("name"), help: "Name of a key pair to generate; repeatable. [default: broker and aggregator]")
    var names: [String] = []

    @Option(help: "Also generate trainer-1 … trainer-N.")
    var trainers = 0

    func validate() throws {
        guard (0...10_000).contains(trainers) else { throw ValidationError("--trainers must be in 0…10000, got \(trainers)") }
    }

    func run() throws {
        let all = (names.isEmpty ? [CurveKeyDirectory.brokerName, "aggregator"] : names) + CurveKeyDirectory.trainerNames(count: trainers)
        let directory = CurveKeyDirectory(path: out)
        let pairs: [String: CurveKeyPair]
        do {
            pairs = try directory.generate(names: all)
        } catch {
            throw ValidationError(error.message)
        }
        for name in all {
            print("\(name): \(directory.secretKeyFile(name)) (secret), \(directory.publicKeyFile(name)) public \(pairs[name]!.publicKey.z85)")
        }
        print("allowed keys: \(directory.allowedKeysFile); trainer keys: \(directory.trainerKeysFile)")
    }
}

