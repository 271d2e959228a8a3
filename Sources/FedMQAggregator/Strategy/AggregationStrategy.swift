import FedMQProtocol

/// A federation server algorithm over flat parameter vectors.
///
/// Strategies are single-owner mutable state (one aggregator thread), hence classes and not
/// `Sendable`. Time is passed in (`now`, monotonic seconds) so tests control the clock.
public protocol AggregationStrategy: AnyObject {
    /// Current global weights, length = model size.
    var model: [Float] { get }
    /// Current global version (starts at the initial/restored version, +1 per new model).
    var version: UInt64 { get }
    /// Offers a validated update; throws `tooStale` / `futureVersion` if dropped (the model is
    /// then untouched).
    func submit(_ update: ClientUpdate, now: Double) throws(ProtocolError) -> SubmitOutcome
    /// Closes a round whose deadline has passed; returns the new version if one was made.
    func poll(now: Double) -> UInt64?
    /// Vectors (optimizer moments) to checkpoint alongside the model.
    var stateVectors: [String: [Float]] { get }
    /// Floats held between calls — model, delta buffer, version history, optimizer state —
    /// counted by array capacity. O(model) for the mean modes whatever the number of updates
    /// or trainers (O(K·model) for median / trimmed mean, O(history·model) for FedAsync).
    var retainedFloats: Int { get }
    /// Whether `submit` may keep a reference to an update's `delta` storage after it returns
    /// (median / trimmed mean store the rows). When false the caller may decode the next
    /// update into that storage. (Copy-on-write keeps a wrong answer safe, only slower.)
    var retainsDeltas: Bool { get }
    /// Server-optimizer steps taken (checkpointed).
    var optimizerSteps: UInt64 { get }
    /// Replaces model, version and optimizer state from a checkpoint; pending buffers are cleared.
    func restore(model: [Float], version: UInt64, stateVectors: [String: [Float]], optimizerSteps: UInt64) throws(ConfigurationError)
}

extension AggregationStrategy {
    /// Unless a strategy says otherwise, assume it keeps deltas (never wrong, only slower).
    public var retainsDeltas: Bool { true }
}
