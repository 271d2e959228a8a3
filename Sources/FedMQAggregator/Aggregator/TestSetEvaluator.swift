import TensorCore

/// Evaluates global weights of an architecture on a held-out data set (runs on the
/// aggregator's evaluation thread; builds its own model instance per call).
public struct TestSetEvaluator: ModelEvaluator {
    public let architecture: ModelArchitecture
    public let testSet: Dataset

    public init(architecture: ModelArchitecture, testSet: Dataset) {
        self.architecture = architecture
        self.testSet = testSet
    }

    public func evaluate(_ weights: [Float]) throws -> EvaluationResult {
        let model = architecture.build(seed: 0)
        try model.load(flat: weights)
        let e = try model.evaluate(images: testSet.images, labels: testSet.labels)
        return EvaluationResult(accuracy: Double(e.accuracy), loss: Double(e.loss))
    }
}
