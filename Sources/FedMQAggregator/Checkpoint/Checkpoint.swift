/// A restorable aggregator state: weights, strategy vectors and the JSON state.
public struct Checkpoint: Sendable {
    public var state: CheckpointState
    /// Global weights, flat, `layout.count`.
    public var model: [Float]
    /// Strategy/optimizer state vectors by name (e.g. "optimizer.m").
    public var stateVectors: [String: [Float]]

    public init(state: CheckpointState, model: [Float], stateVectors: [String: [Float]] = [:]) {
        self.state = state
        self.model = model
        self.stateVectors = stateVectors
    }
}
