/// The JSON part of a checkpoint (`state.json`).
public struct CheckpointState: Sendable, Codable, Equatable {
    /// Global model version of `model.safetensors`.
    public var version: UInt64
    /// Run id the checkpoint belongs to.
    public var runID: UInt64
    /// `ParameterLayout.fingerprint` of the model.
    public var fingerprint: UInt64
    /// Strategy description, e.g. "buffered K=10 adam".
    public var strategy: String
    /// Aggregation mode (`AggregationMode` raw value; nil in checkpoints before it was recorded).
    public var mode: String?
    /// Server optimizer whose state `state.safetensors` holds (nil: not recorded).
    public var optimizer: String?
    /// Server-optimizer steps.
    public var optimizerSteps: UInt64
    /// Lengths of the strategy state vectors in `state.safetensors`, by name.
    public var stateVectorCounts: [String: Int]
    /// Run counters (updates accepted, rejected by reason, bytes…).
    public var counters: [String: UInt64]
    /// Trainer membership.
    public var registry: TrainerRegistry?
    /// Wall-clock seconds since 1970 when written.
    public var savedAt: Double
    /// Run time in seconds when written, summed over aggregator restarts (nil in old checkpoints).
    public var runSeconds: Double?
    /// Why the run ended, once a stop condition held (nil while the run goes on): a restarted
    /// aggregator then re-broadcasts stop instead of training on.
    public var stopReason: String?

    public init(
        version: UInt64, runID: UInt64, fingerprint: UInt64, strategy: String = "", mode: String? = nil,
        optimizer: String? = nil, optimizerSteps: UInt64 = 0,
        stateVectorCounts: [String: Int] = [:], counters: [String: UInt64] = [:], registry: TrainerRegistry? = nil,
        savedAt: Double = 0, runSeconds: Double? = nil, stopReason: String? = nil
    ) {
        self.version = version
        self.runID = runID
        self.fingerprint = fingerprint
        self.strategy = strategy
        self.mode = mode
        self.optimizer = optimizer
        self.optimizerSteps = optimizerSteps
        self.stateVectorCounts = stateVectorCounts
        self.counters = counters
        self.registry = registry
        self.savedAt = savedAt
        self.runSeconds = runSeconds
        self.stopReason = stopReason
    }
}
