import ArgumentParser
import FedMQTransport
import ZeroMQ

/// `fedmq keygen`: CURVE key pairs for an encrypted federation.
struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Generate CURVE key pairs (Z85 text) for the broker, the aggregator and the trainers.",
        discussion: """
            Writes into --out: NAME.key (the secret key, mode 0600) and NAME.pub (the public key) for every --name and for trainer-1 … trainer-N (--trainers N); allowed_keys, the public keys of every name but 'broker' (the broker's --allowed-keys-file); trainer_keys, the public keys of the names starting with 'trainer' (the aggregator's --trainer-keys-file). Into a directory that holds keys already, the new public keys are appended to its allowed_keys and trainer_keys (each key once; each list replaced atomically). Implied names (broker and aggregator without --name, trainer-1 … trainer-N) whose keys exist are kept, so `fedmq keygen --trainers 3` after `--trainers 2` adds trainer-3; a --name whose key exists is refused, as a secret key is never overwritten. A failure leaves the directory as it was.

            Wiring: broker --curve-secret-key-file broker.key --allowed-keys-file allowed_keys --aggregator-keys-file aggregator.pub; aggregator --curve-server-key-file broker.pub --curve-secret-key-file aggregator.key --trainer-keys-file trainer_keys; trainer --curve-server-key-file broker.pub --curve-secret-key-file trainer-1.key. Every option also reads FEDMQ_* variables, with a _FILE variant for mounted secrets. See docs/SECURITY.md.
            """
    )

    @Option(help: "Directory for the key files (created).")
    var out = "keys"

    @Option(name: .customLong("name"), help: "Name of a key pair to generate; repeatable. (default: broker and aggregator)")
    var names: [String] = []

    @Option(help: "Also generate trainer-1 … trainer-N.")
    var trainers = 0

    func validate() throws {
        guard (0...10_000).contains(trainers) else { throw ValidationError("--trainers must be in 0…10000, got \(trainers)") }
    }

    func run() throws {
        let directory = CurveKeyDirectory(path: out)
        let implied = (names.isEmpty ? [CurveKeyDirectory.brokerName, "aggregator"] : []) + CurveKeyDirectory.trainerNames(count: trainers)
        let kept = implied.filter { directory.hasKey($0) && !names.contains($0) }
        let all = (names + implied).filter { !kept.contains($0) }
        for name in kept { print("\(name): kept \(directory.secretKeyFile(name))") }
        guard !all.isEmpty else { return print("nothing to generate: every key exists in \(out)") }
        // A refusal here is no usage error: it is printed alone, not with the root usage line.
        let pairs = try directory.generate(names: all)
        for name in all {
            print("\(name): \(directory.secretKeyFile(name)) (secret), \(directory.publicKeyFile(name)) public \(pairs[name]!.publicKey.z85)")
        }
        print("allowed keys: \(directory.allowedKeysFile); trainer keys: \(directory.trainerKeysFile)")
    }
}
