// Sharing weights instead of data is not by itself private: a published model can reveal what
// one silo contributed. Central differential privacy (DP-FedAvg, McMahan et al. 2018) makes each
// version a Gaussian mechanism over trainers' contributions: every update clipped to norm C, at
// most one update per trainer in a version, Gaussian noise of standard deviation σ·C on their
// sum, and a fixed denominator. The accountant (FedMQPrivacy) then states the (ε, δ) the run
// has spent, at trainer level, against anyone who sees the published models. The aggregator
// itself sees every update in the clear (see docs/SECURITY.md, "Central differential privacy").
import FedMQPrivacy
import FedMQProtocol

/// Central DP settings of the aggregator.
public struct CentralPrivacy: Sendable, Equatable {
    /// C: every update is clipped to this L2 norm before it is added (> 0).
    public var clipNorm: Float
    /// σ: the noise's standard deviation is σ·C on the sum of a version's updates (> 0).
    public var noiseMultiplier: Double
    /// q: the probability with which a trainer takes part in one version, as the accountant
    /// assumes it. 1 (the default) claims no amplification by sampling, which holds whatever
    /// the order in which trainers arrive; a smaller rate is a guarantee only if trainers
    /// really take part at random with that probability.
    public var participationRate = 1.0
    /// δ of the (ε, δ) reported.
    public var delta = 1e-5
    /// Stop the run before the version that would spend more than this ε (nil: no budget).
    public var epsilonBudget: Double?
    /// Seed of the noise; version v's noise comes from stream v of it, so a resumed run adds the
    /// same noise to the same version.
    public var seed: UInt64 = 1

    public init(clipNorm: Float, noiseMultiplier: Double) {
        self.clipNorm = clipNorm
        self.noiseMultiplier = noiseMultiplier
    }

    /// The mechanism each version is, for the accountant.
    public func mechanism() throws(ConfigurationError) -> SampledGaussian {
        do {
            return try SampledGaussian(samplingRate: participationRate, noiseMultiplier: noiseMultiplier)
        } catch {
            throw ConfigurationError("central DP: \(error.message)", code: "central_dp")
        }
    }

    /// Checks the values and that `mode` and `aggregator` can be accounted.
    public func validate(mode: AggregationMode, aggregator: RobustAggregator, weightBySamples: Bool) throws(ConfigurationError) {
        func require(_ ok: Bool, _ message: String) throws(ConfigurationError) {
            if !ok { throw ConfigurationError("central DP: " + message, code: "central_dp") }
        }
        try require(clipNorm > 0 && clipNorm.isFinite, "the clipping norm must be > 0, got \(clipNorm) (--dp-clip)")
        _ = try mechanism()
        try require(delta > 0 && delta < 1, "δ must be in (0, 1), got \(delta) (--dp-delta)")
        try require(epsilonBudget.map { $0 > 0 && $0.isFinite } ?? true, "the ε budget must be > 0 (--dp-epsilon)")
        try require(mode != .async, """
            async mode applies every update alone: each version would carry one trainer's update plus noise \
            of its own size (σ·C), which drowns the model; use buffered mode (--mode buffered), where K updates \
            share one noise draw
            """)
        try require(aggregator == .mean, """
            the \(aggregator) aggregator's sensitivity to one trainer is not bounded by the clipping norm the way \
            a sum's is; central DP needs --aggregator mean
            """)
        try require(!weightBySamples, "weighting by sample counts lets one trainer's weight exceed 1; drop --weight-by-samples")
    }
}
