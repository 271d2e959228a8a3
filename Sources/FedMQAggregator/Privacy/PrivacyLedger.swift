// What central DP has spent so far, in the (ε, δ) people state: every version the aggregator
// published under central DP is one step of the same sampled Gaussian mechanism, so the
// ledger keeps that mechanism's one-step RDP curve and converts n times it for n versions.
// The count of versions is checkpointed with the run's counters, so a resumed run goes on
// counting where it stopped.
import FedMQPrivacy
import FedMQProtocol

/// The central-DP accountant of one run.
struct PrivacyLedger {
    let privacy: CentralPrivacy
    private let orders: [Double]
    private let perStep: [Double]

    init(_ privacy: CentralPrivacy) throws(ConfigurationError) {
        self.privacy = privacy
        orders = RDPAccountant.defaultOrders
        perStep = try privacy.mechanism().renyiProfile(orders: orders)
    }

    /// ε at `privacy.delta` after `steps` versions.
    func epsilon(steps: UInt64) -> Double {
        guard steps > 0 else { return 0 }
        let total = perStep.map { $0 * Double(steps) }
        return (try? RDPAccountant.epsilon(orders: orders, rdp: total, delta: privacy.delta).epsilon) ?? .infinity
    }

    /// Whether one more version after `steps` would spend more than the budget.
    func nextStepExceedsBudget(after steps: UInt64) -> Bool {
        guard let budget = privacy.epsilonBudget else { return false }
        return epsilon(steps: steps + 1) > budget
    }
}
