/// Log-softmax over the classes of each sample (`F.log_softmax(x, dim=1)`); input `[classes]`.
public final class LogSoftmax: Layer {
    public let name = ""
    private var classes = 0

    public init() {}

    public func configure(inputShape: [Int]) throws -> [Int] {
        guard inputShape.count == 1, inputShape[0] > 0 else {
            throw ModelError(.shapeMismatch, "log_softmax: expects [classes] per sample, got \(inputShape)")
        }
        classes = inputShape[0]
        return inputShape
    }

    public func forward(_ buffers: LayerBuffers, training: Bool) {
        LogSoftmaxOp.forward(buffers.input, rows: buffers.batch, classes: classes, output: buffers.output)
    }

    public func backward(_ buffers: LayerBuffers, outputGradient: UnsafePointer<Float>,
                         gradients: UnsafeMutablePointer<Float>, inputGradient: UnsafeMutablePointer<Float>?) {
        guard let inputGradient else { return }
        LogSoftmaxOp.backward(output: buffers.output, outputGradient: outputGradient, inputGradient: inputGradient,
                              rows: buffers.batch, classes: classes)
    }
}
