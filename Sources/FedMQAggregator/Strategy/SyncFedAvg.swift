import FedMQProtocol

/// Synchronous FedAvg with an optional server optimizer and robust aggregator.
///
/// A round collects updates based on the current version; it closes when `roundSize` updates
/// arrived, or when `deadline` seconds passed since the round opened and at least one did.
/// Then Δ̄ = Σ nᵢ·Δᵢ / Σ nᵢ (nᵢ = sample count; or median / trimmed mean) and the server
/// optimizer applies it. Updates based on any other version are DROPPED as `tooStale`
/// (sync semantics: a round only averages models trained from the same start point).
public final class SyncFedAvg: AggregationStrategy {
    public var model: [Float] { step.model }
    public var version: UInt64 { step.version }
    /// Updates that close a round; the aggregator may lower it to the number of live trainers.
    public var roundSize: Int
    /// Seconds after the round opens when it closes with whatever arrived (nil = never).
    public var deadline: Double?
    private var step: ServerStep
    private var roundOpened: Double?

    public init(
        model: [Float], version: UInt64 = 0, roundSize: Int, deadline: Double? = nil,
        optimizer: ServerOptimizer.Rule = .sgd(lr: 1), aggregator: RobustAggregator = .mean,
        privacy: CentralPrivacy? = nil
    ) {
        precondition(roundSize >= 1, "roundSize must be at least 1")
        self.step = ServerStep(model: model, version: version, optimizer: optimizer, aggregator: aggregator, privacy: privacy)
        self.roundSize = roundSize
        self.deadline = deadline
    }

    /// Updates collected in the open round.
    public var pendingUpdates: Int { step.buffer.updates }

    public func submit(_ update: ClientUpdate, now: Double) throws(ProtocolError) -> SubmitOutcome {
        guard update.baseVersion <= version else {
            throw ProtocolError(.futureVersion, "base version \(update.baseVersion) is newer than current \(version)")
        }
        guard update.baseVersion == version else {
            throw ProtocolError(.tooStale, "sync round \(version) does not take updates based on \(update.baseVersion)")
        }
        try step.admit(update.trainerID)
        if roundOpened == nil { roundOpened = now }
        let n = step.isPrivate ? 1 : Double(update.sampleCount)  // central DP: unweighted
        step.add(update.delta, weight: n, normalizer: n, robustScale: 1)
        let closed = step.buffer.updates >= roundSize ? closeRound() : nil
        return SubmitOutcome(staleness: 0, stalenessWeight: 1, appliedWeight: n, newVersion: closed)
    }

    /// Closes the round if enough updates are in (after `roundSize` was lowered, e.g. when
    /// trainers expired) or its deadline has passed with at least one update.
    public func poll(now: Double) -> UInt64? {
        guard step.buffer.updates > 0 else { return nil }
        if step.buffer.updates >= roundSize { return closeRound() }
        guard let deadline, let opened = roundOpened, now - opened >= deadline else { return nil }
        return closeRound()
    }

    /// A round closes even when it yields no model: its updates are dropped.
    private func closeRound() -> UInt64? {
        defer { step.discardBuffer(); roundOpened = nil }
        return step.apply(denominator: roundSize)
    }

    public var retainedFloats: Int { step.retainedFloats }
    public var retainsDeltas: Bool { step.retainsDeltas }
    public var stateVectors: [String: [Float]] { step.stateVectors }
    public var optimizerSteps: UInt64 { step.optimizerSteps }

    public func restore(model: [Float], version: UInt64, stateVectors: [String: [Float]], optimizerSteps: UInt64) throws(ConfigurationError) {
        try step.restore(model: model, version: version, stateVectors: stateVectors, optimizerSteps: optimizerSteps)
        roundOpened = nil
    }
}
