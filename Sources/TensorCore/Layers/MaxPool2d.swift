/// 2-D max pooling (PyTorch `F.max_pool2d(x, kernel, stride)`, no padding, floor mode), optionally
/// fused with the ReLU that follows it (`relu(maxpool(x))`, the default CNN's order).
///
/// Input per sample `[channels, height, width]`; output `[channels, outHeight, outWidth]` with
/// `outHeight = (height − kernel) / stride + 1`. The argmax of each window is kept for backward.
public final class MaxPool2d: Layer {
    public let name = ""
    public let kernelSize: Int, stride: Int
    /// Whether a ReLU is applied to the pooled values (and in backward).
    public let fusedReLU: Bool
    private var channels = 0, height = 0, width = 0, outputSize = 0
    private var argmax: [Int32] = []

    public init(kernelSize: Int, stride: Int? = nil, fusedReLU: Bool = false) {
        precondition(kernelSize > 0 && (stride ?? 1) > 0, "MaxPool2d: kernel and stride must be positive")
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
        self.fusedReLU = fusedReLU
    }

    public func configure(inputShape: [Int]) throws -> [Int] {
        guard inputShape.count == 3, inputShape[1] >= kernelSize, inputShape[2] >= kernelSize else {
            throw ModelError(.shapeMismatch, "max_pool2d(\(kernelSize)): expects [C, H, W] with H, W ≥ \(kernelSize), got \(inputShape)")
        }
        (channels, height, width) = (inputShape[0], inputShape[1], inputShape[2])
        let oh = PoolingKernel.outputExtent(height, kernel: kernelSize, stride: stride)
        let ow = PoolingKernel.outputExtent(width, kernel: kernelSize, stride: stride)
        outputSize = channels * oh * ow
        return [channels, oh, ow]
    }

    public func reserve(batch: Int) {
        if argmax.count < batch * outputSize { argmax = [Int32](repeating: 0, count: batch * outputSize) }
    }

    public func forward(_ buffers: LayerBuffers, training: Bool) {
        argmax.withUnsafeMutableBufferPointer { arg in
            PoolingKernel.maxPoolForward(buffers.input, planes: buffers.batch * channels, height: height, width: width,
                                         kernel: kernelSize, stride: stride, relu: fusedReLU,
                                         output: buffers.output, argmax: arg.baseAddress!)
        }
    }

    public func backward(_ buffers: LayerBuffers, outputGradient: UnsafePointer<Float>,
                         gradients: UnsafeMutablePointer<Float>, inputGradient: UnsafeMutablePointer<Float>?) {
        guard let inputGradient else { return }
        argmax.withUnsafeBufferPointer { arg in
            PoolingKernel.maxPoolBackward(outputGradient: outputGradient, output: buffers.output, argmax: arg.baseAddress!,
                                          planes: buffers.batch * channels, height: height, width: width,
                                          kernel: kernelSize, stride: stride, relu: fusedReLU,
                                          inputGradient: inputGradient)
        }
    }
}
