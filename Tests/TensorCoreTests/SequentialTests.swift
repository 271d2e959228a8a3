import Foundation
import SafeTensorsFormat
import TensorCore
import Testing

@Suite struct SequentialTests {
    @Test func cnnLayoutFollowsPyTorchStateDict() {
        let layout = ModelArchitecture.cnn.layout
        #expect(layout.parameters.map(\.name) == ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias",
                                                   "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"])
        #expect(layout.parameters.map(\.shape) == [[10, 1, 5, 5], [10], [20, 10, 5, 5], [20], [50, 320], [50], [10, 50], [10]])
        #expect(layout.count == 21_840)
    }

    @Test func mlpLayoutFollowsPyTorchStateDict() {
        let layout = ModelArchitecture.mlp.layout
        #expect(layout.parameters.map(\.name) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias"])
        #expect(layout.count == 784 * 200 + 200 + 200 * 200 + 200 + 200 * 10 + 10)
        #expect(layout.fingerprint != ModelArchitecture.cnn.layout.fingerprint)
    }

    @Test func unknownArchitectureListsTheValidNames() {
        #expect {
            try ModelArchitecture.named("resnet")
        } throws: { error in
            let e = error as? ModelError
            return e?.code == .unknownArchitecture && e!.message.contains("cnn") && e!.message.contains("mlp")
        }
    }

    @Test func forwardGivesLogProbabilitiesPerSample() throws {
        let model = ModelArchitecture.cnn.build(seed: 3)
        let x = Tensor(shape: [3, 1, 28, 28], storage: randomValues(3 * 784, seed: 4))
        let y = try model.forward(x, training: false)
        #expect(y.shape == [3, 10])
        for r in 0..<3 {
            let total = (0..<10).reduce(0.0) { $0 + exp(Double(y.storage[r * 10 + $1])) }
            #expect(abs(total - 1) < 1e-5)
        }
        // Batch size changes are fine and each sample is independent of the others.
        let single = try model.forward(Tensor(shape: [1, 1, 28, 28], storage: Array(x.storage[784..<1568])), training: false)
        #expect(relativeError(single.storage.map(Double.init), y.storage[10..<20].map(Double.init)) < 1e-5)
    }

    @Test func flatParametersRoundTrip() throws {
        let a = ModelArchitecture.mlp.build(seed: 1)
        let b = ModelArchitecture.mlp.build(seed: 2)
        try b.load(flat: a.parameters)
        #expect(b.parameters == a.parameters)
        let x = Tensor(shape: [2, 1, 28, 28], storage: randomValues(2 * 784, seed: 9))
        #expect(try a.forward(x, training: false) == b.forward(x, training: false))
    }

    @Test func wrongParameterCountIsRejected() throws {
        let model = ModelArchitecture.cnn.build(seed: 1)
        let before = model.parameters
        #expect(throws: ModelError.self) { try model.load(flat: [Float](repeating: 0, count: 21_839)) }
        #expect(model.parameters == before)
    }

    @Test func badInputsAreRejectedWithErrors() throws {
        let model = ModelArchitecture.cnn.build(seed: 1)
        let codes = [
            { try model.forward(Tensor(shape: [2, 784], repeating: 0), training: false) },
            { try model.forward(Tensor(shape: [0, 1, 28, 28], repeating: 0), training: false) },
            { try model.backward(Tensor(shape: [7, 10], repeating: 0)) },
        ].map { body -> ModelError.Code? in
            do { _ = try body() } catch let e as ModelError { return e.code } catch {}
            return nil
        }
        #expect(codes.allSatisfy { $0 == .shapeMismatch })
        let x = Tensor(shape: [2, 1, 28, 28], repeating: 0)
        #expect(throws: ModelError(.invalidLabel, "label 10 outside 0..<10")) {
            try model.lossAndGradients(images: x, labels: [1, 10])
        }
        #expect(throws: ModelError.self) { try model.lossAndGradients(images: x, labels: [1]) }
        #expect(throws: ModelError.self) { try model.evaluate(images: [0, 1], labels: [1]) }
        #expect(throws: ModelError.self) { try model.evaluate(images: [], labels: [], batchSize: 0) }
        #expect(throws: ModelError.self) { try Sequential([], inputShape: [3], seed: 0) }
        #expect(throws: ModelError.self) { try Sequential([ReLU()], inputShape: [3, 0], seed: 0) }
    }

    @Test func lossAndGradientsMatchForwardPlusNLL() throws {
        let model = ModelArchitecture.cnn.build(seed: 8)
        let x = Tensor(shape: [4, 1, 28, 28], storage: randomValues(4 * 784, seed: 10))
        let labels: [Int32] = [3, 1, 4, 1]
        let loss = try model.lossAndGradients(images: x, labels: labels)
        let logp = try model.forward(x, training: false)
        let expected = -labels.enumerated().reduce(0.0) { $0 + Double(logp.storage[$1.offset * 10 + Int($1.element)]) } / 4
        #expect(abs(Double(loss) - expected) < 1e-5)
        // Gradients are overwritten, not accumulated, by a second call.
        let first = model.gradients
        _ = try model.lossAndGradients(images: x, labels: labels)
        #expect(model.gradients == first)
        let evaluation = try model.evaluate(images: x.storage, labels: labels, batchSize: 3)
        #expect(abs(Double(evaluation.loss) - expected) < 1e-5)
        #expect(evaluation.count == 4)
    }

    @Test func trainingStepsReduceTheLossOnAFixedBatch() throws {
        let model = ModelArchitecture.mlp.build(seed: 2)
        var sgd = try SGD(parameterCount: model.layout.count, learningRate: 0.05, momentum: 0.5)
        let x = Tensor(shape: [16, 1, 28, 28], storage: randomValues(16 * 784, seed: 3))
        let labels = (0..<16).map { Int32($0 % 10) }
        let first = try model.trainStep(images: x, labels: labels, optimizer: &sgd)
        var last = first
        for _ in 0..<20 { last = try model.trainStep(images: x, labels: labels, optimizer: &sgd) }
        #expect(last < first / 2)
        #expect(try model.evaluate(images: x.storage, labels: labels).accuracy == 1)
    }
}
