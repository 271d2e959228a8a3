import FedMQProtocol

/// The server side that `SyncFedAvg` and `FedBuff` share: the global model and version, the
/// buffer of deltas since the last version, and the server optimizer that applies their
/// combination (Δ̄) as one step.
struct ServerStep {
    private(set) var model: [Float]
    private(set) var version: UInt64
    private(set) var buffer: DeltaBuffer
    private var optimizer: ServerOptimizer

    init(model: [Float], version: UInt64, optimizer rule: ServerOptimizer.Rule, aggregator: RobustAggregator) {
        self.model = model
        self.version = version
        self.optimizer = ServerOptimizer(rule, count: model.count)
        self.buffer = DeltaBuffer(count: model.count, aggregator: aggregator)
    }

    /// Adds one delta to the buffer (see `DeltaBuffer.add`).
    mutating func add(_ delta: [Float], weight: Double, normalizer: Double, robustScale: Double) {
        buffer.add(delta, weight: weight, normalizer: normalizer, robustScale: robustScale)
    }

    /// Applies the buffered deltas' combination through the server optimizer and empties the
    /// buffer; returns the new version, or nil (buffer kept) when the buffer has no result.
    mutating func apply() -> UInt64? {
        guard let delta = buffer.result() else { return nil }
        optimizer.apply(delta, to: &model)
        version += 1
        buffer.reset()
        return version
    }

    /// Drops the buffered deltas.
    mutating func discardBuffer() { buffer.reset() }

    /// Whether adding keeps a delta's storage (see `DeltaBuffer.retainsDeltas`).
    var retainsDeltas: Bool { buffer.retainsDeltas }
    /// Floats held: model, buffer and optimizer state.
    var retainedFloats: Int { model.capacity + buffer.retainedFloats + optimizer.retainedFloats }

    var stateVectors: [String: [Float]] { optimizer.stateVectors }
    var optimizerSteps: UInt64 { optimizer.steps }

    /// Replaces model, version and optimizer state from a checkpoint; clears the buffer.
    mutating func restore(model: [Float], version: UInt64, stateVectors: [String: [Float]], optimizerSteps: UInt64) throws(ConfigurationError) {
        guard model.count == self.model.count else {
            throw ConfigurationError("checkpoint model has \(model.count) values, expected \(self.model.count)", code: "checkpoint_state")
        }
        try optimizer.restore(vectors: stateVectors, steps: optimizerSteps)
        self.model = model
        self.version = version
        buffer.reset()
    }
}
