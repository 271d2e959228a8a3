/// Inverted dropout (`nn.Dropout(p)`): in training zeroes each value with probability `p` (seeded)
/// and scales the rest by `1/(1−p)`; the identity in evaluation. Keeps the per-sample shape.
public final class Dropout: Layer {
    public let name = ""
    /// Probability of zeroing a value, in [0, 1).
    public let probability: Float
    private var generator: SeededGenerator
    private var size = 0
    private var mask: [Float] = []
    private var maskedLastForward = false

    public init(probability: Float, seed: UInt64) {
        precondition(probability >= 0 && probability < 1, "Dropout: probability must be in [0, 1)")
        self.probability = probability
        generator = SeededGenerator(seed: seed)
    }

    public func configure(inputShape: [Int]) throws -> [Int] {
        size = inputShape.reduce(1, *)
        return inputShape
    }

    public func reserve(batch: Int) {
        if mask.count < batch * size { mask = [Float](repeating: 1, count: batch * size) }
    }

    public func forward(_ buffers: LayerBuffers, training: Bool) {
        let count = buffers.batch * size
        maskedLastForward = training && probability > 0
        guard maskedLastForward else {
            buffers.output.update(from: buffers.input, count: count)
            return
        }
        mask.withUnsafeMutableBufferPointer { m in
            DropoutOp.forward(buffers.input, output: buffers.output, mask: m.baseAddress!, count: count,
                              probability: probability, generator: &generator)
        }
    }

    public func backward(_ buffers: LayerBuffers, outputGradient: UnsafePointer<Float>,
                         gradients: UnsafeMutablePointer<Float>, inputGradient: UnsafeMutablePointer<Float>?) {
        guard let inputGradient else { return }
        let count = buffers.batch * size
        guard maskedLastForward else {
            inputGradient.update(from: outputGradient, count: count)
            return
        }
        mask.withUnsafeBufferPointer { m in
            DropoutOp.backward(mask: m.baseAddress!, outputGradient: outputGradient, inputGradient: inputGradient, count: count)
        }
    }
}
