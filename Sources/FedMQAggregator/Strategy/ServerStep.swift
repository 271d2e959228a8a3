import FedMQProtocol

/// The server side that `SyncFedAvg` and `FedBuff` share: the global model and version, the
/// buffer of deltas since the last version, and the server optimizer that applies their
/// combination (Δ̄) as one step.
struct ServerStep {
    private(set) var model: [Float]
    private(set) var version: UInt64
    private(set) var buffer: DeltaBuffer
    private var optimizer: ServerOptimizer
    /// Central DP's noise, when on (see `CentralPrivacy`).
    private let noise: GaussianNoise?
    /// Trainers with an update in the buffer (kept only with central DP).
    private var contributors: Set<UInt32> = []

    init(model: [Float], version: UInt64, optimizer rule: ServerOptimizer.Rule, aggregator: RobustAggregator,
         privacy: CentralPrivacy? = nil) {
        self.model = model
        self.version = version
        self.optimizer = ServerOptimizer(rule, count: model.count)
        self.buffer = DeltaBuffer(count: model.count, aggregator: aggregator)
        noise = privacy.map(GaussianNoise.init)
    }

    /// Whether central DP is on: updates are unweighted, one per trainer per version.
    var isPrivate: Bool { noise != nil }

    /// With central DP, refuses a second update of `trainer` in the version being formed.
    mutating func admit(_ trainer: UInt32) throws(ProtocolError) {
        guard noise != nil else { return }
        guard contributors.insert(trainer).inserted else {
            throw ProtocolError(.contributionLimit, "trainer \(trainer) already has an update in version \(version + 1) (central DP: one per version)")
        }
    }

    /// Adds one delta to the buffer (see `DeltaBuffer.add`).
    mutating func add(_ delta: [Float], weight: Double, normalizer: Double, robustScale: Double) {
        buffer.add(delta, weight: weight, normalizer: normalizer, robustScale: robustScale)
    }

    /// Applies the buffered deltas' combination through the server optimizer and empties the
    /// buffer; returns the new version, or nil (buffer kept) when the buffer has no result.
    /// With central DP the combination is the noised fixed-denominator estimate over
    /// `denominator` updates (see `GaussianNoise`).
    mutating func apply(denominator: Int? = nil) -> UInt64? {
        guard var delta = buffer.result() else { return nil }
        noise?.perturb(&delta, contributions: buffer.updates, denominator: denominator ?? buffer.updates, version: version + 1)
        optimizer.apply(delta, to: &model)
        version += 1
        discardBuffer()
        return version
    }

    /// Drops the buffered deltas.
    mutating func discardBuffer() {
        buffer.reset()
        contributors.removeAll(keepingCapacity: true)
    }

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
        discardBuffer()
    }
}
