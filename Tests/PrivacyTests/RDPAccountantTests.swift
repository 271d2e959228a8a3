// FedMQ's accountant is written from the papers; these tests hold it to two libraries no one at
// FedMQ wrote, on the figures scripts/fixtures/make_dp_fixtures.py recorded once from them:
// Opacus's per-step RDP at each of its orders, its ε and its calibrated noise multipliers, and
// Google dp-accounting's ε with its RDP and PLD accountants.
import FedMQPrivacy
import Foundation
import Testing

private struct Fixtures: Decodable {
    struct Case: Decodable {
        let q, sigma, delta: Double
        let steps: Int
        let opacus_orders, opacus_rdp_per_step: [Double]
        let opacus_epsilon, dp_accounting_rdp_epsilon, dp_accounting_pld_epsilon: Double
    }

    struct Calibration: Decodable {
        let epsilon, delta, q, opacus_sigma: Double
        let steps: Int
    }

    let cases: [Case]
    let calibrations: [Calibration]

    static func load() throws -> Fixtures {
        let url = try #require(Bundle.module.url(forResource: "rdp_fixtures", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(Fixtures.self, from: Data(contentsOf: url))
    }
}

/// Within `relative` of each other, or 10⁻¹² apart (per-step RDP of a tiny sampling rate is
/// itself about 10⁻⁸, where the series' rounding shows).
private func close(_ a: Double, _ b: Double, relative: Double) -> Bool {
    abs(a - b) <= relative * max(abs(a), abs(b)) + 1e-12
}

@Suite struct RDPAccountantTests {
    @Test func perStepRenyiDivergenceMatchesOpacusAtEveryOrder() throws {
        for c in try Fixtures.load().cases {
            let mechanism = try SampledGaussian(samplingRate: c.q, noiseMultiplier: c.sigma)
            for (order, expected) in zip(c.opacus_orders, c.opacus_rdp_per_step) {
                let rdp = mechanism.renyiDivergence(order: order)
                #expect(close(rdp, expected, relative: 1e-6), "q \(c.q) σ \(c.sigma) α \(order): \(rdp) vs Opacus \(expected)")
            }
        }
    }

    @Test func epsilonMatchesOpacusAndDpAccountingBoundsIt() throws {
        for c in try Fixtures.load().cases {
            let mechanism = try SampledGaussian(samplingRate: c.q, noiseMultiplier: c.sigma)
            let withOpacusOrders = try RDPAccountant.epsilon(of: mechanism, steps: c.steps, delta: c.delta, orders: c.opacus_orders)
            #expect(close(withOpacusOrders, c.opacus_epsilon, relative: 1e-6), "\(c.q) \(c.sigma) \(c.steps): \(withOpacusOrders) vs \(c.opacus_epsilon)")
            // dp-accounting sums the fractional-order series in absolute value (an upper bound):
            // never below ours, equal where an integer order is optimal, within 3 % here.
            let ours = try RDPAccountant.epsilon(of: mechanism, steps: c.steps, delta: c.delta)
            #expect(ours <= c.dp_accounting_rdp_epsilon * (1 + 1e-9) && ours >= c.dp_accounting_rdp_epsilon * 0.97,
                    "\(c.q) \(c.sigma) \(c.steps): \(ours) vs dp-accounting \(c.dp_accounting_rdp_epsilon)")
            // The PLD accountant is tighter than any RDP bound.
            #expect(ours >= c.dp_accounting_pld_epsilon, "\(ours) below PLD's \(c.dp_accounting_pld_epsilon)")
        }
    }

    @Test func theUnsampledGaussianHasItsClosedForm() throws {
        let mechanism = try SampledGaussian(samplingRate: 1, noiseMultiplier: 2)
        for alpha in [1.5, 2, 10, 63] { #expect(mechanism.renyiDivergence(order: alpha) == alpha / 8) }
    }

    @Test func composingStepByStepEqualsComposingAtOnce() throws {
        let mechanism = try SampledGaussian(samplingRate: 0.02, noiseMultiplier: 1.3)
        var stepwise = try RDPAccountant()
        for _ in 0..<50 { stepwise.compose(mechanism) }
        var atOnce = try RDPAccountant()
        atOnce.compose(mechanism, steps: 50)
        #expect(stepwise.steps == 50)
        for (a, b) in zip(stepwise.rdp, atOnce.rdp) { #expect(close(a, b, relative: 1e-12)) }
        #expect(try RDPAccountant().epsilon(delta: 1e-5).epsilon == 0)  // nothing spent yet
    }

    @Test func calibratedNoiseMeetsTheBudgetAndMatchesOpacus() throws {
        let fixtures = try Fixtures.load()
        let orders = try #require(fixtures.cases.first?.opacus_orders)
        for c in fixtures.calibrations {
            let sigma = try NoiseCalibration.noiseMultiplier(epsilon: c.epsilon, delta: c.delta, samplingRate: c.q,
                                                             steps: c.steps, orders: orders)
            let spent = { (s: Double) in
                try RDPAccountant.epsilon(of: SampledGaussian(samplingRate: c.q, noiseMultiplier: s), steps: c.steps,
                                          delta: c.delta, orders: orders)
            }
            #expect(try spent(sigma) <= c.epsilon, "σ \(sigma) spends more than ε \(c.epsilon)")
            #expect(try spent(sigma * 0.999) > c.epsilon, "σ \(sigma) is not the smallest")
            // Opacus stops its bisection within 0.001 of ε: its σ is at most that much larger.
            #expect(close(sigma, c.opacus_sigma, relative: 0.01), "σ \(sigma) vs Opacus \(c.opacus_sigma)")
        }
    }

    @Test func parametersOutsideTheirDomainAreRefused() {
        #expect(throws: PrivacyError.self) { try SampledGaussian(samplingRate: 0, noiseMultiplier: 1) }
        #expect(throws: PrivacyError.self) { try SampledGaussian(samplingRate: 1.5, noiseMultiplier: 1) }
        #expect(throws: PrivacyError.self) { try SampledGaussian(samplingRate: 0.1, noiseMultiplier: 0) }
        #expect(throws: PrivacyError.self) { try SampledGaussian(samplingRate: 0.1, noiseMultiplier: .nan) }
        #expect(throws: PrivacyError.self) { try RDPAccountant(orders: [1, 2]) }
        #expect(throws: PrivacyError.self) { try RDPAccountant().epsilon(delta: 0) }
        #expect(throws: PrivacyError.self) { try NoiseCalibration.noiseMultiplier(epsilon: -1, delta: 1e-5, samplingRate: 0.1, steps: 10) }
        #expect(throws: PrivacyError.self) {
            try NoiseCalibration.noiseMultiplier(epsilon: 1e-9, delta: 1e-12, samplingRate: 1, steps: 1_000_000)
        }
    }
}
