import TensorCore
import Testing

/// Finite-difference checks of every layer's backward (input and parameter gradients).
@Suite struct LayerGradientTests {
    private func check(_ layers: [any Layer], inputShape: [Int], batch: Int = 2, seed: UInt64 = 1,
                       tolerance: Double = 1e-2) throws {
        let check = try GradientCheck(layers, inputShape: inputShape, batch: batch, seed: seed)
        #expect(try check.inputError() < tolerance)
        for (name, error) in try check.parameterErrors(samplesPerTensor: 64) {
            #expect(error < tolerance, "gradient of \(name): relative error \(error)")
        }
    }

    @Test func linear() throws {
        try check([Linear("fc", 7, 5)], inputShape: [7], batch: 3)
    }

    @Test func linearFlattensItsInput() throws {
        try check([Linear("fc", 12, 4)], inputShape: [3, 2, 2])
    }

    @Test(arguments: [(5, 1, 0), (3, 2, 1), (2, 1, 2), (4, 3, 0)])
    func conv2d(kernel: Int, stride: Int, padding: Int) throws {
        try check([Conv2d("conv", 2, 3, kernelSize: kernel, stride: stride, padding: padding)], inputShape: [2, 7, 8])
    }

    @Test(arguments: [(2, 2, false), (2, 2, true), (3, 2, false), (3, 1, true)])
    func maxPool2d(kernel: Int, stride: Int, relu: Bool) throws {
        // Distinct values (a shuffled ramp) keep the windows' maxima away from ties under ±eps.
        try check([Linear("mix", 2 * 36, 2 * 36), MaxPool2d(kernelSize: kernel, stride: stride, fusedReLU: relu)],
                  inputShape: [2 * 36], batch: 2, tolerance: 1e-2, reshape: [2, 6, 6])
    }

    @Test func relu() throws {
        try check([Linear("fc", 6, 8), ReLU()], inputShape: [6], batch: 3)
    }

    @Test func flatten() throws {
        try check([Flatten(), Linear("fc", 12, 3)], inputShape: [3, 2, 2])
    }

    @Test func logSoftmax() throws {
        try check([Linear("fc", 5, 6), LogSoftmax()], inputShape: [5], batch: 3)
    }

    @Test func wholeCNNOnATinyBatch() throws {
        let model = ModelArchitecture.cnn
        let check = try GradientCheck(model.build(seed: 5).layers, inputShape: model.inputShape, batch: 2, seed: 5)
        let inputError = try check.inputError(indices: Array(stride(from: 3, to: 1568, by: 61)))
        // Input gradients here are ~1e-3 while Float32 rounding of the objective (~1e-6) leaves
        // ~2e-4 of noise per central difference, hence the looser bound (per-layer checks are tight).
        #expect(inputError < 6e-2)
        for (name, error) in try check.parameterErrors(samplesPerTensor: 16) {
            #expect(error < 2e-2, "gradient of \(name): relative error \(error)")
        }
    }
}

extension LayerGradientTests {
    /// Like `check`, with a reshape between a leading `Linear` and the layers under test so the
    /// pooled values are a random linear mix (no ties) of the input.
    private func check(_ layers: [any Layer], inputShape: [Int], batch: Int, tolerance: Double,
                       reshape: [Int]) throws {
        try check([layers[0], Reshape(reshape)] + layers.dropFirst(), inputShape: inputShape, batch: batch,
                  tolerance: tolerance)
    }
}

/// Test-only layer: views each sample with another shape.
private final class Reshape: Layer {
    let name = ""
    let shape: [Int]
    private var size = 0
    init(_ shape: [Int]) { self.shape = shape }
    func configure(inputShape: [Int]) throws -> [Int] {
        size = shape.reduce(1, *)
        return shape
    }
    func forward(_ buffers: LayerBuffers, training: Bool) {
        buffers.output.update(from: buffers.input, count: buffers.batch * size)
    }
    func backward(_ buffers: LayerBuffers, outputGradient: UnsafePointer<Float>,
                  gradients: UnsafeMutablePointer<Float>, inputGradient: UnsafeMutablePointer<Float>?) {
        inputGradient?.update(from: outputGradient, count: buffers.batch * size)
    }
}
