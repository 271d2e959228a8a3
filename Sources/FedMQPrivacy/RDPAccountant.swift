// A privacy guarantee is only as good as its arithmetic. This accountant adds up the Rényi
// differential privacy of every step a party took (each a `SampledGaussian`), at many orders at
// once, and turns the total into the (ε, δ) people state; tests hold it to Opacus and Google's
// dp-accounting on the same mechanisms (Tests/PrivacyTests, fixtures made by
// scripts/fixtures/make_dp_fixtures.py).

import Foundation

/// Rényi-DP accountant for compositions of sampled Gaussian mechanisms.
public struct RDPAccountant: Sendable, Equatable {
    /// The orders α tracked: dp-accounting's defaults, 1.1 to 10.9 by 0.1, 11 to 63, and
    /// 128, 256, 512, 1024 (more orders can only lower ε).
    public static let defaultOrders: [Double] = {
        let fractional: [Double] = (1..<100).map { (tenth: Int) -> Double in 1 + Double(tenth) / 10 }
        let integral: [Double] = (11...63).map { (order: Int) -> Double in Double(order) }
        return fractional + integral + [128, 256, 512, 1024]
    }()

    /// The orders tracked, each > 1.
    public let orders: [Double]
    /// Total RDP so far at each of `orders`, nats.
    public private(set) var rdp: [Double]
    /// Steps composed so far.
    public private(set) var steps = 0

    /// - Throws: `PrivacyError` when `orders` is empty or holds an order ≤ 1.
    public init(orders: [Double] = RDPAccountant.defaultOrders) throws(PrivacyError) {
        guard !orders.isEmpty, orders.allSatisfy({ $0 > 1 && $0.isFinite }) else {
            throw PrivacyError(.invalidParameter, "RDP orders must be finite and above 1")
        }
        self.orders = orders
        rdp = [Double](repeating: 0, count: orders.count)
    }

    /// Adds `count` steps of `mechanism` (count ≥ 0).
    public mutating func compose(_ mechanism: SampledGaussian, steps count: Int = 1) {
        precondition(count >= 0, "a negative number of steps")
        guard count > 0 else { return }
        for (index, order) in orders.enumerated() {
            rdp[index] += Double(count) * mechanism.renyiDivergence(order: order)
        }
        steps += count
    }

    /// The smallest ε such that the composition so far is (ε, δ)-DP, and the order that gives
    /// it, by the conversion of Balle et al. 2020 (Theorem 21 of arXiv:1905.09982):
    /// ε = RDP(α) + log((α − 1)/α) − (log δ + log α)/(α − 1), minimised over the orders.
    /// - Throws: `PrivacyError` for δ outside (0, 1).
    public func epsilon(delta: Double) throws(PrivacyError) -> (epsilon: Double, order: Double) {
        try Self.epsilon(orders: orders, rdp: rdp, delta: delta)
    }

    /// The conversion of `epsilon(delta:)` for any RDP curve: `rdp[i]` nats at `orders[i]`.
    public static func epsilon(orders: [Double], rdp: [Double], delta: Double) throws(PrivacyError) -> (epsilon: Double, order: Double) {
        guard delta > 0, delta < 1 else { throw PrivacyError(.invalidParameter, "δ must be in (0, 1), got \(delta)") }
        var best = (epsilon: Double.infinity, order: orders.first ?? 0)
        for (alpha, r) in zip(orders, rdp) where r.isFinite {
            let epsilon: Double
            if delta * delta + expm1(-r) > 0 {
                epsilon = 0  // the KL bound alone gives δ: no ε needed
            } else if alpha > 1.01 {
                epsilon = r + log1p(-1 / alpha) - (log(delta) + log(alpha)) / (alpha - 1)
            } else {
                continue  // the bound is unstable this close to 1
            }
            if epsilon < best.epsilon { best = (max(0, epsilon), alpha) }
        }
        return best
    }

    /// The ε after `steps` steps of `mechanism` from nothing.
    public static func epsilon(of mechanism: SampledGaussian, steps: Int, delta: Double,
                               orders: [Double] = defaultOrders) throws(PrivacyError) -> Double {
        var accountant = try RDPAccountant(orders: orders)
        accountant.compose(mechanism, steps: steps)
        return try accountant.epsilon(delta: delta).epsilon
    }
}
