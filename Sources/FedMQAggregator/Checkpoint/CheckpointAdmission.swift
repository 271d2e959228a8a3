// What an aggregator may do with the checkpoints it finds at start. Before this existed, an
// aggregator started with another model on a run's checkpoint directory skipped them all as
// "corrupt", started over at version 0 and then pruned the real run's newest checkpoints.
// The decision is made here without I/O, from the states read off disk, so every case is a
// unit test; `AggregatorService` carries it out.
import FedMQProtocol

/// The verdict on a checkpoint directory for one aggregator configuration and model.
public enum CheckpointAdmission: Sendable, Equatable {
    /// Nothing to resume: start at version 0.
    case fresh
    /// Resume this run's newest checkpoint as it is.
    case resume
    /// Resume this run's newest checkpoint under another strategy; `dropped` says what is lost.
    case resumeChangingStrategy(dropped: String)
    /// Move the checkpoints of `versions` aside (into the directory's `archive/`; nothing is
    /// deleted), then decide again on what remains.
    case archive(versions: [UInt64], reason: String)

    /// Decides from the readable checkpoint states in the directory (`states`, any order).
    /// `startNewRun` acts only on a conflict: checkpoints this configuration can resume are
    /// resumed, so the option may stay set across restarts.
    /// - Throws: `ConfigurationError` with code `checkpoint_foreign` when the checkpoints
    ///   belong to another run or model and `startNewRun` is off, or `checkpoint_strategy`
    ///   when they were written under another mode or server optimizer and neither
    ///   `allowStrategyChange` nor `startNewRun` is on. The message names what differs and
    ///   the options that proceed.
    public static func decide(states: [CheckpointState], configuration c: AggregatorConfiguration,
                              fingerprint: UInt64) throws(ConfigurationError) -> CheckpointAdmission {
        let foreign = states.filter { $0.runID != c.runID || $0.fingerprint != fingerprint }
        if !foreign.isEmpty {
            let reason = describe(foreign, runID: c.runID, fingerprint: fingerprint)
            guard c.startNewRun else {
                throw ConfigurationError(
                    "\(c.checkpointDirectory ?? "the checkpoint directory") holds \(reason); refusing to start on it "
                        + "(it would overwrite them). Use another --checkpoint-dir, or --new-run to move them into its "
                        + "archive/ folder and start a new run", code: "checkpoint_foreign")
            }
            return .archive(versions: foreign.map(\.version).sorted(), reason: reason)
        }
        guard let newest = states.max(by: { $0.version < $1.version }) else { return .fresh }
        guard let change = strategyChange(from: newest, to: c) else { return .resume }
        if c.startNewRun {
            return .archive(versions: states.map(\.version).sorted(), reason: change)
        }
        guard c.allowStrategyChange else {
            throw ConfigurationError(
                "the checkpoints of run \(c.runID) were written \(change); refusing to resume under another strategy. "
                    + "Use --change-strategy to keep the model and version and start the server optimizer afresh, "
                    + "or --new-run to start over", code: "checkpoint_strategy")
        }
        let optimizerState = newest.stateVectorCounts.keys.sorted()
        let dropped = optimizerState.isEmpty && newest.optimizerSteps == 0
            ? "no server-optimizer state (the checkpoint has none)"
            : "the server optimizer's state (\(optimizerState.joined(separator: ", ")); \(newest.optimizerSteps) steps)"
        return .resumeChangingStrategy(dropped: "\(change); dropped: \(dropped)")
    }

    /// How the newest checkpoint's strategy differs from the configuration's, or nil.
    private static func strategyChange(from state: CheckpointState, to c: AggregatorConfiguration) -> String? {
        var differences: [String] = []
        if let mode = state.mode, mode != c.mode.rawValue { differences.append("mode \(mode) (now \(c.mode.rawValue))") }
        if let mode = state.mode, mode == c.mode.rawValue, state.optimizer != c.checkpointedOptimizer {
            differences.append("server optimizer \(state.optimizer ?? "none") (now \(c.checkpointedOptimizer ?? "none"))")
        }
        return differences.isEmpty ? nil : "with " + differences.joined(separator: " and ")
    }

    /// "run 3's checkpoints (versions 40…60, model fingerprint …)" for the checkpoints of other runs.
    private static func describe(_ states: [CheckpointState], runID: UInt64, fingerprint: UInt64) -> String {
        let versions = states.map(\.version)
        let runs = Set(states.map(\.runID)).sorted().map(String.init).joined(separator: ", ")
        let fingerprints = Set(states.map(\.fingerprint))
        let model = fingerprints == [fingerprint]
            ? "this model"
            : "another model (fingerprint \(fingerprints.sorted().map { String($0, radix: 16) }.joined(separator: ", ")); "
                + "this one is \(String(fingerprint, radix: 16)))"
        return "checkpoints of run \(runs) (versions \(versions.min() ?? 0)…\(versions.max() ?? 0), \(model)), "
            + "not of run \(runID) with this model"
    }
}
