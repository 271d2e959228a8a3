import SafeTensorsFormat
import TensorCore
import Testing

/// Export and import of a model's parameters by state_dict name, using PyTorch's CNN weights
/// (forward/backward parity with PyTorch is in `PyTorchModelTests`).
@Suite struct NamedParametersTests {
    private func loaded(_ name: String) throws -> (Sequential, PyTorchFixture) {
        let fixture = try PyTorchFixture(name)
        let model = try ModelArchitecture.named(name).build(seed: 0)
        try model.load(named: fixture.file.tensors)
        return (model, fixture)
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
