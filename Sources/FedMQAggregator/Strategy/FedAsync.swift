import FedMQProtocol
import TensorCore
import VectorKernels

/// Asynchronous FedAsync (Xie et al. 2019): every accepted update makes a new version.
///
/// x ← (1 − α_t)·x + α_t·x_client with α_t = α·s(t − τ) and x_client = x_τ + Δ.
/// To rebuild x_client the strategy keeps a ring of the last `history` global models
/// (O(history·model) memory); an update whose base version has left the ring is dropped as
/// `tooStale`, so the effective maximum staleness is min(maxStaleness, history − 1).
/// After a restore the ring holds only the restored version.
public final class FedAsync: AggregationStrategy {
    public private(set) var model: [Float]
    public private(set) var version: UInt64
    /// Base mixing rate α ∈ (0, 1].
    public let alpha: Double
    public let staleness: StalenessPolicy
    private var ring: VersionRing

    public init(model: [Float], version: UInt64 = 0, alpha: Double, staleness: StalenessPolicy = StalenessPolicy(), history: Int = 16) {
        precondition(alpha > 0 && alpha <= 1, "alpha must be in (0, 1]")
        self.model = model
        self.version = version
        self.alpha = alpha
        self.staleness = staleness
        ring = VersionRing(capacity: max(1, history), count: model.count)
        ring.store(model, version: version)
    }

    public func submit(_ update: ClientUpdate, now: Double) throws(ProtocolError) -> SubmitOutcome {
        let s = try staleness.weight(current: version, base: update.baseVersion)
        let a = Float(alpha * s)
        // x ← (1 − a)·x + a·x_τ + a·Δ
        let mixed: Bool = ring.withModel(update.baseVersion) { base in
            VectorMath.axpby(a, base, 1 - a, &model)
            return true
        } ?? false
        guard mixed else {
            throw ProtocolError(.tooStale, "base version \(update.baseVersion) is no longer held (history \(ring.capacity))")
        }
        VectorMath.axpy(a, update.delta, &model)
        version += 1
        ring.store(model, version: version)
        return SubmitOutcome(
            staleness: version - 1 - update.baseVersion, stalenessWeight: s, appliedWeight: Double(a), newVersion: version)
    }

    public func poll(now: Double) -> UInt64? { nil }

    public var retainedFloats: Int { model.capacity + ring.retainedFloats }
    public var retainsDeltas: Bool { false }
    public var stateVectors: [String: [Float]] { [:] }
    public var optimizerSteps: UInt64 { 0 }

    public func restore(model: [Float], version: UInt64, stateVectors: [String: [Float]], optimizerSteps: UInt64) throws(ConfigurationError) {
        guard model.count == self.model.count else {
            throw ConfigurationError("checkpoint model has \(model.count) values, expected \(self.model.count)", code: "checkpoint_state")
        }
        self.model = model
        self.version = version
        ring.clear()
        ring.store(model, version: version)
    }
}
