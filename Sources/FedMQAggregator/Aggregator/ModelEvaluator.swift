/// Test-set accuracy and loss of a weight vector.
public struct EvaluationResult: Sendable, Equatable {
    /// Fraction correct in [0, 1].
    public var accuracy: Double
    /// Mean cross-entropy.
    public var loss: Double

    public init(accuracy: Double, loss: Double) {
        self.accuracy = accuracy
        self.loss = loss
    }
}

/// Evaluates global weights on held-out data. Called on the aggregator's evaluation thread,
/// never on the intake thread; may be slow.
public protocol ModelEvaluator: Sendable {
    /// Evaluates `weights` (flat, the model layout's count).
    func evaluate(_ weights: [Float]) throws -> EvaluationResult
}
