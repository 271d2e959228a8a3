// The one place where central DP touches the model: a version's combined delta becomes the
// fixed-denominator DP-FedAvg estimate, (Σ clipped updates + N(0, σ²C²·I)) / D, with D the
// round or buffer size the version was meant to have. Deterministic: version v's noise is
// stream v of the configured seed.
import Foundation
import TensorCore

/// Adds central DP's Gaussian noise to a version's combined delta.
struct GaussianNoise {
    /// σ·C: the noise's standard deviation on the sum of updates.
    let standardDeviation: Double
    let seed: UInt64

    init(_ privacy: CentralPrivacy) {
        standardDeviation = privacy.noiseMultiplier * Double(privacy.clipNorm)
        seed = privacy.seed
    }

    /// Turns `mean` (Σ wᵢΔᵢ / n over the `contributions` n added) into
    /// (Σ wᵢΔᵢ + z) / D with z ~ N(0, (σC)²) per coordinate, drawn for `version`; D is the
    /// `denominator` the version was meant to have (any value independent of the updates: the
    /// noise is on the sum, so dividing by it is post-processing).
    func perturb(_ mean: inout [Float], contributions: Int, denominator: Int, version: UInt64) {
        let denominator = max(1, denominator)
        var generator = SeededGenerator(seed: seed).derived(version)
        let scale = Float(Double(contributions) / Double(denominator))
        let noiseScale = standardDeviation / Double(denominator)
        for index in mean.indices {
            mean[index] = mean[index] * scale + Float(generator.nextStandardNormal() * noiseScale)
        }
    }
}
