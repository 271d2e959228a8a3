import SafeTensorsFormat

/// Fully connected layer `y = x·Wᵀ + b` (PyTorch `nn.Linear`): weight `[out, in]`, bias `[out]`.
///
/// Input per sample: any shape with `inFeatures` elements; output `[outFeatures]`.
public final class Linear: Layer {
    public let name: String
    public let inFeatures: Int
    public let outFeatures: Int

    public init(_ name: String, _ inFeatures: Int, _ outFeatures: Int) {
        precondition(inFeatures > 0 && outFeatures > 0, "Linear \(name): features must be positive")
        self.name = name
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
    }

    public var parameterSpecs: [ParameterSpec] {
        [ParameterSpec(name: "weight", shape: [outFeatures, inFeatures]), ParameterSpec(name: "bias", shape: [outFeatures])]
    }

    public func configure(inputShape: [Int]) throws -> [Int] {
        guard inputShape.reduce(1, *) == inFeatures else {
            throw ModelError(.shapeMismatch, "\(name): expects \(inFeatures) input features, got shape \(inputShape)")
        }
        return [outFeatures]
    }

    public func initialize(_ parameters: UnsafeMutableBufferPointer<Float>, generator: inout SeededGenerator) {
        ParameterInit.uniform(parameters, bound: ParameterInit.pytorchBound(fanIn: inFeatures), generator: &generator)
    }

    public func forward(_ buffers: LayerBuffers, training: Bool) {
        LinearOp.forward(buffers.input, batch: buffers.batch, inFeatures: inFeatures, outFeatures: outFeatures,
                         weight: buffers.parameters, bias: buffers.parameters + weightCount, output: buffers.output)
    }

    public func backward(_ buffers: LayerBuffers, outputGradient: UnsafePointer<Float>,
                         gradients: UnsafeMutablePointer<Float>, inputGradient: UnsafeMutablePointer<Float>?) {
        LinearOp.backward(buffers.input, batch: buffers.batch, inFeatures: inFeatures, outFeatures: outFeatures,
                          weight: buffers.parameters, outputGradient: outputGradient, weightGradient: gradients,
                          biasGradient: gradients + weightCount, inputGradient: inputGradient)
    }

    private var weightCount: Int { inFeatures * outFeatures }
}
