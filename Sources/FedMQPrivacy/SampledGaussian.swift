// The mechanism both kinds of FedMQ differential privacy use: a sum, each contributor's part
// clipped to norm C, plus Gaussian noise of standard deviation σ·C, where each contributor (a
// record in DP-SGD, a trainer in central DP) takes part with probability q (Poisson sampling).
// Its Rényi divergence at order α is what the accountant adds up, step after step; this file
// computes it, following Mironov, Talwar and Zhang, "Rényi Differential Privacy of the Sampled
// Gaussian Mechanism" (2019), section 3.3 (integer orders: a binomial sum; fractional orders:
// the two-sided series with the error function).
import Foundation

/// The Poisson-sampled Gaussian mechanism.
public struct SampledGaussian: Sendable, Equatable {
    /// Probability that a contributor takes part in one step, in (0, 1].
    public let samplingRate: Double
    /// σ: the noise's standard deviation divided by the clipping norm (> 0).
    public let noiseMultiplier: Double

    /// - Throws: `PrivacyError` (`.invalidParameter`) for a rate outside (0, 1] or a noise
    ///   multiplier that is not positive and finite.
    public init(samplingRate: Double, noiseMultiplier: Double) throws(PrivacyError) {
        guard samplingRate > 0, samplingRate <= 1 else {
            throw PrivacyError(.invalidParameter, "sampling rate must be in (0, 1], got \(samplingRate)")
        }
        guard noiseMultiplier > 0, noiseMultiplier.isFinite else {
            throw PrivacyError(.invalidParameter, "noise multiplier must be positive and finite, got \(noiseMultiplier)")
        }
        self.samplingRate = samplingRate
        self.noiseMultiplier = noiseMultiplier
    }

    /// The Rényi differential privacy of one step at `order` α > 1 (nats); +∞ when the series
    /// does not settle.
    public func renyiDivergence(order alpha: Double) -> Double {
        let sigma = noiseMultiplier
        if samplingRate == 1 { return alpha / (2 * sigma * sigma) }
        let logA = alpha == alpha.rounded() && alpha < Double(Int32.max) ? logAInteger(Int(alpha)) : logAFractional(alpha)
        return logA / (alpha - 1)
    }

    /// One step's RDP at each of `orders` (for an accountant that composes the same mechanism
    /// many times: ε after n steps is the conversion of n × this curve).
    public func renyiProfile(orders: [Double] = RDPAccountant.defaultOrders) -> [Double] {
        orders.map { renyiDivergence(order: $0) }
    }

    /// log A_α for integer α: Σᵢ C(α, i) qⁱ (1 − q)^(α−i) exp((i² − i) / 2σ²).
    private func logAInteger(_ alpha: Int) -> Double {
        let (logQ, log1mQ) = (log(samplingRate), log1p(-samplingRate))
        let twoSigma2 = 2 * noiseMultiplier * noiseMultiplier
        var logA = -Double.infinity
        for i in 0...alpha {
            let d = Double(i)
            let term = LogSpace.binomial(alpha, i) + d * logQ + Double(alpha - i) * log1mQ + (d * d - d) / twoSigma2
            logA = LogSpace.add(logA, term)
        }
        return logA
    }

    /// log A_α for fractional α: the integrals over (−∞, z₀] and [z₀, ∞) as two series with the
    /// generalised binomial coefficients C(α, i) (their signs alternate past i = α), summed
    /// until both terms fall below e⁻³⁰.
    private func logAFractional(_ alpha: Double) -> Double {
        let sigma = noiseMultiplier, q = samplingRate
        let (logQ, log1mQ) = (log(q), log1p(-q))
        let twoSigma2 = 2 * sigma * sigma
        let z0 = sigma * sigma * log(1 / q - 1) + 0.5
        var (logA0, logA1) = (-Double.infinity, -Double.infinity)
        var coefficient = 1.0  // C(α, 0)
        for i in 0..<100_000 {
            let d = Double(i), j = alpha - d
            let logCoefficient = log(abs(coefficient))
            let logE0 = log(0.5) + LogSpace.erfc((d - z0) / (2.0.squareRoot() * sigma))
            let logE1 = log(0.5) + LogSpace.erfc((z0 - j) / (2.0.squareRoot() * sigma))
            let s0 = logCoefficient + d * logQ + j * log1mQ + (d * d - d) / twoSigma2 + logE0
            let s1 = logCoefficient + j * logQ + d * log1mQ + (j * j - j) / twoSigma2 + logE1
            if coefficient > 0 {
                (logA0, logA1) = (LogSpace.add(logA0, s0), LogSpace.add(logA1, s1))
            } else {
                guard let a0 = LogSpace.subtract(logA0, s0), let a1 = LogSpace.subtract(logA1, s1) else { return .infinity }
                (logA0, logA1) = (a0, a1)
            }
            if max(s0, s1) < -30 { return LogSpace.add(logA0, logA1) }
            coefficient *= (alpha - d) / (d + 1)
        }
        return .infinity
    }
}
