import Foundation
import SafeTensorsFormat
import TensorCore

/// A reference file written by `scripts/fixtures/make_fixtures.py` (PyTorch): initial weights
/// under their state_dict names, a fixed batch (`input`, `labels`), the model's `output`,
/// mean NLL `loss`, and `grad.<name>` (plus `after_sgd.<name>` for the CNN).
struct PyTorchFixture {
    /// Parameter names and shapes, in PyTorch's state_dict order.
    let parameters: [ParameterSpec]
    let file: SafeTensorsFile

    /// The CNN: conv1 1→10 k5, conv2 10→20 k5, fc1 320→50, fc2 50→10.
    static let cnnParameters = [
        ParameterSpec(name: "conv1.weight", shape: [10, 1, 5, 5]), ParameterSpec(name: "conv1.bias", shape: [10]),
        ParameterSpec(name: "conv2.weight", shape: [20, 10, 5, 5]), ParameterSpec(name: "conv2.bias", shape: [20]),
        ParameterSpec(name: "fc1.weight", shape: [50, 320]), ParameterSpec(name: "fc1.bias", shape: [50]),
        ParameterSpec(name: "fc2.weight", shape: [10, 50]), ParameterSpec(name: "fc2.bias", shape: [10]),
    ]
    /// The MLP: fc1 784→200, fc2 200→200, fc3 200→10.
    static let mlpParameters = [
        ParameterSpec(name: "fc1.weight", shape: [200, 784]), ParameterSpec(name: "fc1.bias", shape: [200]),
        ParameterSpec(name: "fc2.weight", shape: [200, 200]), ParameterSpec(name: "fc2.bias", shape: [200]),
        ParameterSpec(name: "fc3.weight", shape: [10, 200]), ParameterSpec(name: "fc3.bias", shape: [10]),
    ]

    struct Missing: Error, CustomStringConvertible {
        let description: String
    }

    /// Loads `Fixtures/<model>_fixture.safetensors` from the test bundle (`model`: "cnn" or "mlp").
    init(_ model: String) throws {
        guard let url = Bundle.module.url(forResource: "\(model)_fixture", withExtension: "safetensors",
                                          subdirectory: "Fixtures") else {
            throw Missing(description: "Fixtures/\(model)_fixture.safetensors is not in the test bundle")
        }
        file = try SafeTensors.read(path: url.path)
        parameters = model == "cnn" ? Self.cnnParameters : Self.mlpParameters
    }

    /// The tensor `name`, or a thrown error naming it.
    func tensor(_ name: String) throws -> Tensor {
        guard let tensor = file.tensor(named: name) else { throw Missing(description: "fixture lacks '\(name)'") }
        return tensor
    }

    /// The initial weights as one flat vector in `parameters` order.
    func flatWeights(prefix: String = "") throws -> [Float] {
        try parameters.flatMap { try tensor(prefix + $0.name).storage }
    }

    /// The labels as class indices.
    func labels() throws -> [Int32] {
        try tensor("labels").storage.map { Int32($0) }
    }

    /// `max|a − b| / max(max|b|, 1e-12)`: error relative to the reference's largest magnitude.
    static func relativeError(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count, "compared arrays differ in length")
        let scale = b.reduce(Float(0)) { max($0, abs($1)) }
        let worst = zip(a, b).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
        return worst / max(scale, 1e-12)
    }
}
