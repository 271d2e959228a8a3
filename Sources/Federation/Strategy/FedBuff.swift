/// Buffered asynchronous aggregation (FedBuff, Nguyen et al. 2022).
///
/// Every update is accepted unless too stale; after `bufferSize` (K) updates,
/// Δ̄ = Σ sᵢ·cᵢ·Δᵢ / Σ cᵢ with sᵢ = s(t − τᵢ) and cᵢ = sample count (if `weightBySamples`)
/// or 1 — i.e. the staleness weight discounts without renormalising, as in the paper's
/// (1/K)·Σ s·Δ. The server optimizer then applies Δ̄ (η, momentum, Adam). Robust
/// aggregators take the coordinate-wise median / trimmed mean of the sᵢ·Δᵢ.
public final class FedBuff: AggregationStrategy {
    public private(set) var model: [Float]
    public private(set) var version: UInt64
    /// K: updates per new version.
    public let bufferSize: Int
    public let staleness: StalenessPolicy
    public let weightBySamples: Bool
    private var optimizer: ServerOptimizer
    private var buffer: DeltaBuffer

    public init(
        model: [Float], version: UInt64 = 0, bufferSize: Int, staleness: StalenessPolicy = StalenessPolicy(),
        weightBySamples: Bool = false, optimizer: ServerOptimizer.Rule = .sgd(lr: 1),
        aggregator: RobustAggregator = .mean
    ) {
        precondition(bufferSize >= 1, "bufferSize must be at least 1")
        self.model = model
        self.version = version
        self.bufferSize = bufferSize
        self.staleness = staleness
        self.weightBySamples = weightBySamples
        self.optimizer = ServerOptimizer(optimizer, count: model.count)
        self.buffer = DeltaBuffer(count: model.count, aggregator: aggregator)
    }

    /// Updates in the buffer.
    public var pendingUpdates: Int { buffer.updates }

    public func submit(_ update: ClientUpdate, now: Double) throws(ProtocolError) -> SubmitOutcome {
        let s = try staleness.weight(current: version, base: update.baseVersion)
        let c = weightBySamples ? Double(update.sampleCount) : 1
        buffer.add(update.delta, weight: s * c, normalizer: c, robustScale: s)
        var outcome = SubmitOutcome(
            staleness: version - update.baseVersion, stalenessWeight: s, appliedWeight: s * c, newVersion: nil)
        if buffer.updates >= bufferSize, let delta = buffer.result() {
            optimizer.apply(delta, to: &model)
            version += 1
            outcome.newVersion = version
            buffer.reset()
        }
        return outcome
    }

    public func poll(now: Double) -> UInt64? { nil }

    public var stateVectors: [String: [Float]] { optimizer.stateVectors }
    public var optimizerSteps: UInt64 { optimizer.steps }

    public func restore(model: [Float], version: UInt64, stateVectors: [String: [Float]], optimizerSteps: UInt64) throws(ConfigurationError) {
        guard model.count == self.model.count else {
            throw ConfigurationError("checkpoint model has \(model.count) values, expected \(self.model.count)", code: "checkpoint_state")
        }
        try optimizer.restore(vectors: stateVectors, steps: optimizerSteps)
        self.model = model
        self.version = version
        buffer.reset()
    }
}
