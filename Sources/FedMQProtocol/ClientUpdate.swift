import VectorKernels

/// A validated update from a trainer, ready for an `AggregationStrategy`.
public struct ClientUpdate: Sendable {
    /// Sender's trainer id.
    public var trainerID: UInt32
    /// Global version the trainer started from (τ).
    public var baseVersion: UInt64
    /// Training samples behind the delta (> 0).
    public var sampleCount: UInt32
    /// `local − base`, flat, length `layout.count`, all finite.
    public var delta: [Float]
    /// Mean local training loss reported by the trainer.
    public var trainingLoss: Float
    /// Sender's sequence number.
    public var sequence: UInt64
    /// L2 norm of `delta` as received (before any clipping).
    public var receivedNorm: Float
    /// Whether the aggregator clipped `delta` to the norm bound.
    public var clipped: Bool

    public init(
        trainerID: UInt32, baseVersion: UInt64, sampleCount: UInt32, delta: [Float],
        trainingLoss: Float = 0, sequence: UInt64 = 0, receivedNorm: Float? = nil, clipped: Bool = false
    ) {
        self.trainerID = trainerID
        self.baseVersion = baseVersion
        self.sampleCount = sampleCount
        self.delta = delta
        self.trainingLoss = trainingLoss
        self.sequence = sequence
        self.receivedNorm = receivedNorm ?? VectorMathBridge.norm(delta)
        self.clipped = clipped
    }
}
