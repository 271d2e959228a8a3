/// Loss and accuracy of a classifier on a set of samples.
public struct Evaluation: Sendable, Equatable {
    /// Mean negative log-likelihood per sample (nats).
    public var loss: Float
    /// Fraction classified correctly, in [0, 1].
    public var accuracy: Float
    /// Number of samples evaluated.
    public var count: Int

    public init(loss: Float, accuracy: Float, count: Int) {
        self.loss = loss
        self.accuracy = accuracy
        self.count = count
    }
}
