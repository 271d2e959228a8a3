import FedMQProtocol

/// Buffered asynchronous aggregation (FedBuff, Nguyen et al. 2022).
///
/// Every update is accepted unless too stale; after `bufferSize` (K) updates,
/// Δ̄ = Σ sᵢ·cᵢ·Δᵢ / Σ cᵢ with sᵢ = s(t − τᵢ) and cᵢ = sample count (if `weightBySamples`)
/// or 1 — i.e. the staleness weight discounts without renormalising, as in the paper's
/// (1/K)·Σ s·Δ. The server optimizer then applies Δ̄ (η, momentum, Adam). Robust
/// aggregators take the coordinate-wise median / trimmed mean of the sᵢ·Δᵢ.
public final class FedBuff: AggregationStrategy {
    public var model: [Float] { step.model }
    public var version: UInt64 { step.version }
    /// K: updates per new version.
    public let bufferSize: Int
    public let staleness: StalenessPolicy
    public let weightBySamples: Bool
    private var step: ServerStep

    public init(
        model: [Float], version: UInt64 = 0, bufferSize: Int, staleness: StalenessPolicy = StalenessPolicy(),
        weightBySamples: Bool = false, optimizer: ServerOptimizer.Rule = .sgd(lr: 1),
        aggregator: RobustAggregator = .mean, privacy: CentralPrivacy? = nil
    ) {
        precondition(bufferSize >= 1, "bufferSize must be at least 1")
        self.step = ServerStep(model: model, version: version, optimizer: optimizer, aggregator: aggregator, privacy: privacy)
        self.bufferSize = bufferSize
        self.staleness = staleness
        self.weightBySamples = weightBySamples
    }

    /// Updates in the buffer.
    public var pendingUpdates: Int { step.buffer.updates }

    public func submit(_ update: ClientUpdate, now: Double) throws(ProtocolError) -> SubmitOutcome {
        let s = try staleness.weight(current: version, base: update.baseVersion)
        try step.admit(update.trainerID)
        let c = weightBySamples ? Double(update.sampleCount) : 1
        step.add(update.delta, weight: s * c, normalizer: c, robustScale: s)
        var outcome = SubmitOutcome(
            staleness: version - update.baseVersion, stalenessWeight: s, appliedWeight: s * c, newVersion: nil)
        if step.buffer.updates >= bufferSize { outcome.newVersion = step.apply(denominator: bufferSize) }
        return outcome
    }

    public func poll(now: Double) -> UInt64? { nil }

    public var retainedFloats: Int { step.retainedFloats }
    public var retainsDeltas: Bool { step.retainsDeltas }
    public var stateVectors: [String: [Float]] { step.stateVectors }
    public var optimizerSteps: UInt64 { step.optimizerSteps }

    public func restore(model: [Float], version: UInt64, stateVectors: [String: [Float]], optimizerSteps: UInt64) throws(ConfigurationError) {
        try step.restore(model: model, version: version, stateVectors: stateVectors, optimizerSteps: optimizerSteps)
    }
}
