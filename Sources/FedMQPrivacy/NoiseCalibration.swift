// Users think in budgets: "ε = 3 at δ = 10⁻⁵ over this run". This finds the smallest noise that
// keeps a planned number of sampled Gaussian steps inside such a budget, so a trainer or the
// aggregator can be given the budget instead of σ.

/// Computes noise multipliers from privacy budgets.
public enum NoiseCalibration {
    /// The smallest noise multiplier σ (to within `tolerance` in ε) such that `steps` steps at
    /// sampling rate `samplingRate` stay within (`epsilon`, `delta`): the returned σ always
    /// meets the budget, and σ − resolution would not, up to the bisection's precision.
    /// - Throws: `PrivacyError` for parameters outside their domain, or `.budgetUnreachable`
    ///   when even σ = 10⁴ exceeds the budget.
    public static func noiseMultiplier(epsilon: Double, delta: Double, samplingRate: Double, steps: Int,
                                       orders: [Double] = RDPAccountant.defaultOrders) throws(PrivacyError) -> Double {
        guard epsilon > 0, epsilon.isFinite else { throw PrivacyError(.invalidParameter, "ε must be positive, got \(epsilon)") }
        guard steps > 0 else { throw PrivacyError(.invalidParameter, "steps must be positive, got \(steps)") }
        let spent = { (sigma: Double) throws(PrivacyError) -> Double in
            try RDPAccountant.epsilon(of: SampledGaussian(samplingRate: samplingRate, noiseMultiplier: sigma),
                                      steps: steps, delta: delta, orders: orders)
        }
        var (low, high) = (0.0, 1.0)
        while try spent(high) > epsilon {
            guard high < 10_000 else {
                throw PrivacyError(.budgetUnreachable, "ε = \(epsilon) at δ = \(delta) is out of reach for \(steps) steps at rate \(samplingRate), even with σ = 10⁴")
            }
            (low, high) = (high, high * 2)
        }
        while high - low > 1e-6 * high {
            let middle = (low + high) / 2
            if try spent(middle) > epsilon { low = middle } else { high = middle }
        }
        return high
    }
}
