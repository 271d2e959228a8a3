/// The outcome of one round of local training.
public struct LocalResult: Sendable {
    /// `local − base`, flat, the model's parameter count.
    public var delta: [Float]
    /// Samples processed (sum of mini-batch sizes).
    public var sampleCount: Int
    /// Mean mini-batch training loss over the round (nats).
    public var meanLoss: Float
    /// Mini-batch steps taken.
    public var steps: Int
    /// Wall time of the round including any slowdown, seconds.
    public var seconds: Double
    /// How much longer the round took than the emulated device would (steps × slowdown ×
    /// `TrainerConfiguration.stepTime`), seconds: the machine could not keep that pace. 0
    /// without a step time.
    public var secondsBehindPace = 0.0
}
