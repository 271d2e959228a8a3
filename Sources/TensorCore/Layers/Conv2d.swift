import SafeTensorsFormat

/// 2-D convolution (PyTorch `nn.Conv2d`, NCHW): weight `[out, in, kh, kw]`, bias `[out]`.
///
/// Input per sample `[inChannels, height, width]`; output `[outChannels, outHeight, outWidth]`
/// with `outHeight = (height + 2·padding − kernel) / stride + 1`. Runs by `Im2Col` + `Gemm`
/// (`ConvolutionKernel`), one image at a time.
public final class Conv2d: Layer {
    public let name: String
    public let inChannels: Int, outChannels: Int
    public let kernelSize: Int, stride: Int, padding: Int
    private var geometry: Im2Col.Geometry?
    private var columns: [Float] = []
    private var columnGradient: [Float] = []

    public init(_ name: String, _ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0) {
        precondition(inChannels > 0 && outChannels > 0 && kernelSize > 0 && stride > 0 && padding >= 0,
                     "Conv2d \(name): channels, kernel and stride must be positive, padding ≥ 0")
        self.name = name
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
    }

    public var parameterSpecs: [ParameterSpec] {
        [ParameterSpec(name: "weight", shape: [outChannels, inChannels, kernelSize, kernelSize]),
         ParameterSpec(name: "bias", shape: [outChannels])]
    }

    public func configure(inputShape: [Int]) throws -> [Int] {
        guard inputShape.count == 3, inputShape[0] == inChannels,
              inputShape[1] + 2 * padding >= kernelSize, inputShape[2] + 2 * padding >= kernelSize else {
            throw ModelError(.shapeMismatch,
                             "\(name): expects [\(inChannels), H, W] with H, W + 2·\(padding) ≥ \(kernelSize), got \(inputShape)")
        }
        let g = Im2Col.Geometry(channels: inChannels, height: inputShape[1], width: inputShape[2],
                                kernelHeight: kernelSize, kernelWidth: kernelSize, stride: stride, padding: padding)
        geometry = g
        columns = [Float](repeating: 0, count: g.columnRows * g.columnCount)
        columnGradient = columns
        return [outChannels, g.outHeight, g.outWidth]
    }

    public func initialize(_ parameters: UnsafeMutableBufferPointer<Float>, generator: inout SeededGenerator) {
        let bound = ParameterInit.pytorchBound(fanIn: inChannels * kernelSize * kernelSize)
        ParameterInit.uniform(parameters, bound: bound, generator: &generator)
    }

    public func forward(_ buffers: LayerBuffers, training: Bool) {
        let g = configuredGeometry
        let weightCount = outChannels * g.columnRows
        columns.withUnsafeMutableBufferPointer { cols in
            ConvolutionKernel.forward(input: buffers.input, batch: buffers.batch, geometry: g,
                                      weight: buffers.parameters, bias: buffers.parameters + weightCount,
                                      outChannels: outChannels, output: buffers.output, columns: cols.baseAddress!)
        }
    }

    public func backward(_ buffers: LayerBuffers, outputGradient: UnsafePointer<Float>,
                         gradients: UnsafeMutablePointer<Float>, inputGradient: UnsafeMutablePointer<Float>?) {
        let g = configuredGeometry
        let weightCount = outChannels * g.columnRows
        columns.withUnsafeMutableBufferPointer { cols in
            columnGradient.withUnsafeMutableBufferPointer { colGrad in
                ConvolutionKernel.backward(input: buffers.input, batch: buffers.batch, geometry: g,
                                           weight: buffers.parameters, outChannels: outChannels,
                                           outputGradient: outputGradient, weightGradient: gradients,
                                           biasGradient: gradients + weightCount, inputGradient: inputGradient,
                                           columns: cols.baseAddress!, columnGradient: colGrad.baseAddress!)
            }
        }
    }

    private var configuredGeometry: Im2Col.Geometry {
        guard let geometry else { preconditionFailure("Conv2d \(name) used before configure(inputShape:)") }
        return geometry
    }
}
