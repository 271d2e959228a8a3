import Testing
import TensorCore

/// Our `Sequential` models against PyTorch (`scripts/fixtures/make_fixtures.py`): same weights by
/// state_dict name, same batch → same log-probabilities, loss, every gradient, and SGD step.
@Suite struct ModelFixtureTests {
    private func loaded(_ name: String) throws -> (Sequential, PyTorchFixture) {
        let fixture = try PyTorchFixture(name)
        let model = try ModelArchitecture.named(name).build(seed: 0)
        try model.load(named: fixture.file.tensors)
        return (model, fixture)
    }

    @Test(arguments: ["cnn", "mlp"])
    func forwardLossAndGradientsMatchPyTorch(_ name: String) throws {
        let (model, fixture) = try loaded(name)
        let input = try fixture.tensor("input")
        let output = try model.forward(input, training: false)
        #expect(PyTorchFixture.relativeError(output.storage, try fixture.tensor("output").storage) < 1e-4)
        let loss = try model.lossAndGradients(images: input, labels: try fixture.labels())
        #expect(PyTorchFixture.relativeError([loss], try fixture.tensor("loss").storage) < 1e-4)
        for (spec, offset) in zip(model.layout.parameters, model.layout.offsets) {
            let ours = Array(model.gradients[offset..<(offset + spec.count)])
            let error = PyTorchFixture.relativeError(ours, try fixture.tensor("grad." + spec.name).storage)
            #expect(error < 1e-4, "gradient of \(spec.name): \(error)")
        }
    }

    @Test func oneSGDStepMatchesPyTorch() throws {
        let (model, fixture) = try loaded("cnn")
        var sgd = try SGD(parameterCount: model.layout.count, learningRate: 0.01, momentum: 0.5)
        _ = try model.trainStep(images: try fixture.tensor("input"), labels: try fixture.labels(), optimizer: &sgd)
        let expected = try fixture.flatWeights(prefix: "after_sgd.")
        #expect(PyTorchFixture.relativeError(model.parameters, expected) < 1e-4)
    }

    @Test func namedExportRoundTripsAndLoadChecksNamesAndShapes() throws {
        let (model, fixture) = try loaded("cnn")
        let named = model.namedParameters()
        #expect(named.map(\.name) == model.layout.parameters.map(\.name))
        #expect(try named.map(\.tensor) == model.layout.parameters.map { try fixture.tensor($0.name) })
        let other = ModelArchitecture.cnn.build(seed: 9)
        try other.load(named: named.reversed())
        #expect(other.parameters == model.parameters)

        let before = other.parameters
        #expect(throws: ModelError.self) { try other.load(named: Array(named.dropLast())) }
        var wrongShape = named
        wrongShape[0].tensor = Tensor.zeros([10, 25])
        #expect(throws: ModelError.self) { try other.load(named: wrongShape) }
        #expect(other.parameters == before)
    }
}
