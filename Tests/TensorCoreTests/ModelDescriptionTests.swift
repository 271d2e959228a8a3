import SafeTensorsFormat
import TensorCore
import Testing

@Suite struct ModelDescriptionTests {
    @Test func theCNNWrittenOutHasTheBuiltInLayout() throws {
        let text = "Conv 10 5, pool 2, relu, conv 20 5, pool 2, relu, flatten, fc 50, relu, fc 10, log_softmax"
        let custom = try ModelArchitecture.named(text)
        #expect(custom.layout == ModelArchitecture.cnn.layout)
        #expect(custom.build(seed: 4).parameters == ModelArchitecture.cnn.build(seed: 4).parameters)
    }

    @Test func poolFollowedByReluIsFused() throws {
        let items = try ModelDescription("pool 2, relu, relu, pool 3 stride 1").items
        #expect(items == [.pool(kernel: 2, stride: 2, relu: true), .relu, .pool(kernel: 3, stride: 1, relu: false)])
    }

    @Test func strideAndPaddingShapeTheOutput() throws {
        let model = try ModelArchitecture(name: "t", description: "conv 4 3 stride 2 pad 1, dropout 0.25, flatten, fc 10, log_softmax")
        // (28 + 2 − 3) / 2 + 1 = 14 → 4·14·14 features into fc1.
        #expect(model.layout.parameters.map(\.shape) == [[4, 1, 3, 3], [4], [10, 784], [10]])
        let y = try model.build(seed: 1).forward(Tensor(shape: [2, 1, 28, 28], storage: randomValues(1568, seed: 2)), training: true)
        #expect(y.shape == [2, 10])
    }

    @Test(arguments: ["", "conv 10", "fc x", "fc 10 20", "pool 2 pad 1", "gelu", "dropout 1", "conv 4 3 stride 0", "relu 3"])
    func malformedItemsAreRejected(_ text: String) {
        #expect(throws: ModelError.self) { try ModelDescription(text) }
    }

    @Test func itemsThatDoNotFitTheirInputAreRejected() {
        #expect(throws: ModelError.self) { try ModelArchitecture(name: "t", description: "fc 10, conv 3 3") }
        #expect(throws: ModelError.self) { try ModelArchitecture(name: "t", description: "conv 3 30") }
        #expect(throws: ModelError.self) { try ModelArchitecture(name: "t", description: "flatten, log_softmax, pool 2") }
    }
}
