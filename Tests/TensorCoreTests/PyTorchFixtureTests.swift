import Foundation
import TensorCore
import Testing

@Suite("PyTorch fixtures") struct PyTorchFixtureTests {
    @Test("fixtures hold every parameter, gradient and the batch with the expected shapes", arguments: ["cnn", "mlp"])
    func structure(model: String) throws {
        let fixture = try PyTorchFixture(model)
        for spec in fixture.parameters {
            #expect(try fixture.tensor(spec.name).shape == spec.shape, "\(spec.name)")
            #expect(try fixture.tensor("grad." + spec.name).shape == spec.shape, "grad.\(spec.name)")
        }
        #expect(try fixture.tensor("input").shape == [8, 1, 28, 28])
        #expect(try fixture.tensor("labels").shape == [8])
        #expect(try fixture.labels().allSatisfy { (0..<10).contains($0) })
        #expect(try fixture.tensor("labels").storage == fixture.labels().map(Float.init), "labels are integers")
        #expect(try fixture.tensor("output").shape == [8, 10])
        #expect(try fixture.tensor("loss").shape == [1])
        #expect(fixture.file.metadata["torch_version"]?.isEmpty == false)
        #expect(fixture.file.metadata["script"] == "scripts/fixtures/make_fixtures.py")
        #expect(fixture.file.metadata["parameters"] == fixture.parameters.map(\.name).joined(separator: ","))
    }

    @Test("outputs are log-probabilities and the loss is their mean NLL", arguments: ["cnn", "mlp"])
    func consistentLoss(model: String) throws {
        let fixture = try PyTorchFixture(model)
        let output = try fixture.tensor("output").storage
        let labels = try fixture.labels()
        var nll: Double = 0
        for row in 0..<8 {
            let logits = output[row * 10..<row * 10 + 10].map(Double.init)
            #expect(abs(log(logits.map(exp).reduce(0, +))) < 1e-5, "row \(row) normalised")
            nll -= logits[Int(labels[row])]
        }
        #expect(abs(Float(nll / 8) - (try fixture.tensor("loss").storage[0])) < 1e-5)
    }

    @Test("the fixture batch is the first 8 Fashion-MNIST test images as our loader normalises them",
          .enabled(if: FileManager.default.fileExists(atPath: FashionMNIST.defaultDirectory + "/t10k-images-idx3-ubyte.gz"),
                   "Fashion-MNIST not installed"))
    func inputMatchesLoader() throws {
        let fixture = try PyTorchFixture("cnn")
        let test = try FashionMNIST.load(split: .test).subset(Array(0..<8))
        #expect(PyTorchFixture.relativeError(test.images, try fixture.tensor("input").storage) < 1e-6)
        #expect(test.labels == (try fixture.labels()))
        #expect(try PyTorchFixture("mlp").tensor("input") == (try fixture.tensor("input")))
    }

    @Test("after_sgd is one momentum-SGD step (lr 0.01) from the initial weights")
    func sgdStep() throws {
        let fixture = try PyTorchFixture("cnn")
        for spec in fixture.parameters {
            let weights = try fixture.tensor(spec.name).storage
            let gradient = try fixture.tensor("grad." + spec.name).storage
            let expected = zip(weights, gradient).map { $0 - 0.01 * $1 }
            #expect(PyTorchFixture.relativeError(expected, try fixture.tensor("after_sgd." + spec.name).storage) < 1e-6,
                    "\(spec.name)")
        }
    }

    @Test("Gemm-based MLP forward reproduces PyTorch's log-probabilities")
    func mlpForwardWithGemm() throws {
        let fixture = try PyTorchFixture("mlp")
        var activation = try fixture.tensor("input").storage   // [8, 784]
        for (index, width) in [200, 200, 10].enumerated() {
            let weight = try fixture.tensor("fc\(index + 1).weight")   // [out, in]
            let bias = try fixture.tensor("fc\(index + 1).bias").storage
            let inputs = weight.shape[1]
            var next = (0..<8).flatMap { _ in bias }
            activation.withUnsafeBufferPointer { x in
                weight.withUnsafeBufferPointer { w in
                    next.withUnsafeMutableBufferPointer { y in
                        Gemm.sgemm(transA: false, transB: true, m: 8, n: width, k: inputs, alpha: 1,
                                   a: x.baseAddress!, lda: inputs, b: w.baseAddress!, ldb: inputs,
                                   beta: 1, c: y.baseAddress!, ldc: width)
                    }
                }
            }
            activation = index < 2 ? next.map { max($0, 0) } : next
        }
        let logProbabilities = (0..<8).flatMap { row -> [Float] in
            let logits = activation[row * 10..<row * 10 + 10]
            let top = logits.max()!
            let logSum = top + log(logits.reduce(Float(0)) { $0 + exp($1 - top) })
            return logits.map { $0 - logSum }
        }
        #expect(PyTorchFixture.relativeError(logProbabilities, try fixture.tensor("output").storage) < 1e-4)
    }
}
