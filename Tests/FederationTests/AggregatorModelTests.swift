// Tests of AggregatorModel.resolve, how the aggregator picks its model from --model and
// --initial-model: a file alone gives its own layout and no architecture (no server-side
// evaluation), both must agree tensor for tensor, and a bad file is refused naming the problem.
import FedMQAggregator
import FedMQProtocol
import Foundation
import SafeTensorsFormat
import TensorCore
import Testing

@Suite struct AggregatorModelTests {
    /// Writes `tensors` to a fresh file and returns its path.
    private func file(_ tensors: [NamedTensor]) throws -> String {
        let path = NSTemporaryDirectory() + "fedmq-initial-\(UUID().uuidString).safetensors"
        try SafeTensors.write(tensors, to: path)
        return path
    }

    /// The cnn's tensors with weights from `seed`, in reverse (not layout) order.
    private func cnnTensors(seed: UInt64) -> [NamedTensor] {
        let built = ModelArchitecture.cnn.build(seed: seed)
        return zip(built.layout.parameters, built.layout.offsets).reversed().map { spec, offset in
            NamedTensor(name: spec.name, tensor: Tensor(shape: spec.shape, storage: Array(built.parameters[offset..<offset + spec.count])))
        }
    }

    @Test func withoutAFileTheArchitectureIsBuiltFromTheSeed() throws {
        let model = try AggregatorModel.resolve(architectureName: nil, initialModel: nil, seed: 3)
        #expect(model.architecture?.name == "cnn" && model.outputClasses == 10)
        #expect(model.weights == ModelArchitecture.cnn.build(seed: 3).parameters)
    }

    @Test func aFileAloneGivesItsOwnLayoutAndNoArchitecture() throws {
        let path = try file([NamedTensor(name: "lstm.weight_hh_l0", tensor: Tensor(shape: [8, 2], repeating: 0.25)),
                             NamedTensor(name: "fc.bias", tensor: Tensor(shape: [10], repeating: -1))])
        defer { try? FileManager.default.removeItem(atPath: path) }
        let model = try AggregatorModel.resolve(architectureName: nil, initialModel: path, seed: 0)
        #expect(model.architecture == nil && model.outputClasses == nil)
        #expect(model.layout.parameters.map(\.name) == ["lstm.weight_hh_l0", "fc.bias"])
        #expect(model.weights == Array(repeating: 0.25, count: 16) + Array(repeating: -1, count: 10))
    }

    @Test func aFileAndTheArchitectureItMatchesGiveTheArchitecturesOrderWithTheFilesWeights() throws {
        let path = try file(cnnTensors(seed: 42))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let model = try AggregatorModel.resolve(architectureName: "cnn", initialModel: path, seed: 0)
        #expect(model.layout == ModelArchitecture.cnn.layout)
        #expect(model.weights == ModelArchitecture.cnn.build(seed: 42).parameters)
        #expect(model.architecture?.name == "cnn")
    }

    @Test func aFileThatDisagreesWithTheArchitectureIsRefusedNamingTheTensors() throws {
        let path = try file(cnnTensors(seed: 0))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let error = #expect(throws: ConfigurationError.self) {
            try AggregatorModel.resolve(architectureName: "mlp", initialModel: path, seed: 0)
        }
        #expect(error?.code == "initial_model_mismatch")
        #expect(error?.message.contains("does not hold the tensors of --model mlp") == true)
        #expect(error?.message.contains("only in the file: fc2.bias") == false)  // mlp has fc2 too…
        #expect(error?.message.contains("not in the file: fc3.weight, fc3.bias") == true)  // …but not fc3
        #expect(error?.message.contains("'fc1.weight' is [50, 320] in the file, [200, 784] in the model") == true)
    }

    @Test func anUnreadableFileIsRefusedNamingTheFileAndTheReason() throws {
        let path = NSTemporaryDirectory() + "fedmq-initial-\(UUID().uuidString).safetensors"
        try Data("{\"not\": \"safetensors\"}".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let error = #expect(throws: ConfigurationError.self) {
            try AggregatorModel.resolve(architectureName: nil, initialModel: path, seed: 0)
        }
        #expect(error?.code == "initial_model")
        #expect(error?.message.hasPrefix("--initial-model \(path): header length") == true, "\(error?.message ?? "")")
    }
}
