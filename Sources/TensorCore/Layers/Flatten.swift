/// Flattens each sample to one dimension (`torch.flatten(x, 1)`); values are copied unchanged.
public final class Flatten: Layer {
    public let name = ""
    private var size = 0

    public init() {}

    public func configure(inputShape: [Int]) throws -> [Int] {
        size = inputShape.reduce(1, *)
        return [size]
    }

    public func forward(_ buffers: LayerBuffers, training: Bool) {
        buffers.output.update(from: buffers.input, count: buffers.batch * size)
    }

    public func backward(_ buffers: LayerBuffers, outputGradient: UnsafePointer<Float>,
                         gradients: UnsafeMutablePointer<Float>, inputGradient: UnsafeMutablePointer<Float>?) {
        inputGradient?.update(from: outputGradient, count: buffers.batch * size)
    }
}
