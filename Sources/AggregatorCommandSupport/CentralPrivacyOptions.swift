// The aggregator's central differential privacy from the command line: one option group that
// the `aggregator` executable reads (and `fedmq run` can pass through), turned into a
// `CentralPrivacy` once, at the edge — with the noise either given or computed from an ε
// budget and the planned number of versions.
import ArgumentParser
import CommandSupport
import FedMQAggregator
import FedMQPrivacy

/// `--dp-clip`, `--dp-noise`, `--dp-epsilon`, `--dp-delta`, `--dp-participation`.
public struct CentralPrivacyOptions: ParsableArguments {
    @Option(help: "Central DP: clip every update to this L2 norm C and turn central DP on (buffered or sync mode, mean aggregator, one update per trainer per version, Gaussian noise σ·C on each version's sum; see docs/SECURITY.md). [env: FEDMQ_DP_CLIP]")
    var dpClip: Float?

    @Option(help: "Central DP: noise multiplier σ. Without it, σ is the smallest that keeps --max-versions versions within --dp-epsilon. [env: FEDMQ_DP_NOISE]")
    var dpNoise: Double?

    @Option(help: "Central DP: ε budget at --dp-delta; the run stops before the version that would exceed it. [env: FEDMQ_DP_EPSILON]")
    var dpEpsilon: Double?

    @Option(help: "Central DP: δ of the reported (ε, δ). [env: FEDMQ_DP_DELTA, default: 1e-5]")
    var dpDelta: Double?

    @Option(help: "Central DP: probability q that a trainer takes part in a version, as the accountant assumes it; 1 claims no amplification by sampling (true whatever the order of arrivals), less is a guarantee only if trainers really take part at random. [env: FEDMQ_DP_PARTICIPATION, default: 1]")
    var dpParticipation: Double?

    public init() {}

    /// The central DP settings, or nil when `--dp-clip` is not given (the other options then
    /// are refused). `maxVersions` plans the calibration when σ is not given; `seed` seeds the noise.
    public func configuration(_ env: EnvironmentValues, maxVersions: UInt64?, seed: UInt64) throws -> CentralPrivacy? {
        let noise = try dpNoise ?? env.value("FEDMQ_DP_NOISE", as: Double.self)
        let budget = try dpEpsilon ?? env.value("FEDMQ_DP_EPSILON", as: Double.self)
        let delta = try dpDelta ?? env.value("FEDMQ_DP_DELTA", as: Double.self)
        let rate = try dpParticipation ?? env.value("FEDMQ_DP_PARTICIPATION", as: Double.self)
        guard let clip = try dpClip ?? env.value("FEDMQ_DP_CLIP", as: Float.self) else {
            if noise != nil || budget != nil || delta != nil || rate != nil {
                throw ValidationError("--dp-noise, --dp-epsilon, --dp-delta and --dp-participation need --dp-clip (it turns central DP on)")
            }
            return nil
        }
        var privacy = CentralPrivacy(clipNorm: clip, noiseMultiplier: noise ?? 1)
        privacy.epsilonBudget = budget
        privacy.delta = delta ?? privacy.delta
        privacy.participationRate = rate ?? privacy.participationRate
        privacy.seed = seed
        if noise == nil {
            guard let budget, let maxVersions, maxVersions > 0 else {
                throw ValidationError("central DP needs --dp-noise, or --dp-epsilon with --max-versions to compute it")
            }
            do {
                privacy.noiseMultiplier = try NoiseCalibration.noiseMultiplier(
                    epsilon: budget, delta: privacy.delta, samplingRate: privacy.participationRate, steps: Int(maxVersions))
            } catch {
                throw ValidationError("central DP: \(error.message)")
            }
        }
        return privacy
    }
}
