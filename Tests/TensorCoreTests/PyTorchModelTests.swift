import SafeTensorsFormat
import TensorCore
import Testing

/// Our models against PyTorch on the same weights and batch (fixtures from
/// `scripts/fixtures/make_fixtures.py`): outputs, loss, every gradient, and one SGD step,
/// each within 1e-4 of the reference's largest magnitude (`PyTorchFixture.relativeError`).
@Suite("PyTorch model parity") struct PyTorchModelTests {
    private let tolerance: Float = 1e-4

    /// The architecture with PyTorch's weights, loaded by name through a safetensors payload.
    private func modelWithFixtureWeights(_ name: String) throws -> (Sequential, PyTorchFixture) {
        let fixture = try PyTorchFixture(name)
        let model = try ModelArchitecture.named(name).build(seed: 99)
        #expect(model.layout.parameters == fixture.parameters, "same names, shapes and order as the state_dict")
        let weights = try fixture.parameters.reversed().map { NamedTensor(name: $0.name, tensor: try fixture.tensor($0.name)) }
        try model.load(flat: SafeTensors.decodeFlat(SafeTensors.encode(weights), layout: model.layout).flat)
        return (model, fixture)
    }

    @Test("forward, loss and every gradient match PyTorch", arguments: ["cnn", "mlp"])
    func forwardAndBackward(model name: String) throws {
        let (model, fixture) = try modelWithFixtureWeights(name)
        let input = try fixture.tensor("input")
        let output = try model.forward(input, training: false)
        #expect(output.shape == [8, 10])
        #expect(PyTorchFixture.relativeError(output.storage, try fixture.tensor("output").storage) < tolerance, "output")

        let loss = try model.lossAndGradients(images: input, labels: fixture.labels())
        let reference = try fixture.tensor("loss").storage[0]
        #expect(abs(loss - reference) / abs(reference) < tolerance, "loss \(loss) vs \(reference)")
        for (spec, offset) in zip(model.layout.parameters, model.layout.offsets) {
            let ours = Array(model.gradients[offset..<offset + spec.count])
            let error = PyTorchFixture.relativeError(ours, try fixture.tensor("grad." + spec.name).storage)
            #expect(error < tolerance, "grad.\(spec.name): relative error \(error)")
        }
    }

    @Test("one SGD step (lr 0.01, momentum 0.5) matches PyTorch's optimizer")
    func sgdStep() throws {
        let (model, fixture) = try modelWithFixtureWeights("cnn")
        var optimizer = try SGD(parameterCount: model.layout.count, learningRate: 0.01, momentum: 0.5)
        _ = try model.trainStep(images: fixture.tensor("input"), labels: fixture.labels(), optimizer: &optimizer)
        for (spec, offset) in zip(model.layout.parameters, model.layout.offsets) {
            let ours = Array(model.parameters[offset..<offset + spec.count])
            let error = PyTorchFixture.relativeError(ours, try fixture.tensor("after_sgd." + spec.name).storage)
            #expect(error < tolerance, "after_sgd.\(spec.name): relative error \(error)")
        }
    }
}
