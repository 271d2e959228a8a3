/// Elementwise `max(x, 0)`; keeps the per-sample shape.
public final class ReLU: Layer {
    public let name = ""
    private var size = 0

    public init() {}

    public func configure(inputShape: [Int]) throws -> [Int] {
        size = inputShape.reduce(1, *)
        return inputShape
    }

    public func forward(_ buffers: LayerBuffers, training: Bool) {
        ReLUOp.forward(buffers.input, output: buffers.output, count: buffers.batch * size)
    }

    public func backward(_ buffers: LayerBuffers, outputGradient: UnsafePointer<Float>,
                         gradients: UnsafeMutablePointer<Float>, inputGradient: UnsafeMutablePointer<Float>?) {
        guard let inputGradient else { return }
        ReLUOp.backward(output: buffers.output, outputGradient: outputGradient, inputGradient: inputGradient,
                        count: buffers.batch * size)
    }
}
