import SafeTensorsFormat

/// The buffers one layer works on for one batch; all pointers are owned by the model.
public struct LayerBuffers {
    /// Samples in the batch.
    public var batch: Int
    /// The layer's input, `[batch] + inputShape`.
    public var input: UnsafePointer<Float>
    /// The layer's output, `[batch] + outputShape` (written by `forward`, read by `backward`).
    public var output: UnsafeMutablePointer<Float>
    /// This layer's slice of the model's flat parameter vector (`parameterSpecs` order).
    public var parameters: UnsafePointer<Float>

    public init(batch: Int, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                parameters: UnsafePointer<Float>) {
        self.batch = batch
        self.input = input
        self.output = output
        self.parameters = parameters
    }
}

/// One stage of a `Sequential` model, working on raw batch buffers.
///
/// A layer is configured once for its per-sample input shape (`configure`), owns any workspace
/// it needs (sized by `reserve(batch:)`, re-sized only when the batch grows), and addresses its
/// parameters and gradients through slices of the model's flat vectors.
public protocol Layer: AnyObject {
    /// The module name in PyTorch's state_dict (`conv1`), or "" for a layer without parameters.
    var name: String { get }
    /// The layer's parameters with short names (`weight`, `bias`) in flat-vector order.
    var parameterSpecs: [ParameterSpec] { get }
    /// Checks the per-sample `inputShape` (e.g. `[1, 28, 28]`) and returns the per-sample output shape.
    func configure(inputShape: [Int]) throws -> [Int]
    /// Writes PyTorch's default initial values into this layer's parameter slice.
    func initialize(_ parameters: UnsafeMutableBufferPointer<Float>, generator: inout SeededGenerator)
    /// Sizes the layer's workspace for `batch` samples (no-op when already big enough).
    func reserve(batch: Int)
    /// Computes `buffers.output` from `buffers.input`.
    func forward(_ buffers: LayerBuffers, training: Bool)
    /// From `outputGradient` (shape of the output) accumulates into this layer's `gradients` slice
    /// and overwrites `inputGradient` (shape of the input) unless it is nil.
    func backward(_ buffers: LayerBuffers, outputGradient: UnsafePointer<Float>,
                  gradients: UnsafeMutablePointer<Float>, inputGradient: UnsafeMutablePointer<Float>?)
}

extension Layer {
    public var parameterSpecs: [ParameterSpec] { [] }
    public func initialize(_ parameters: UnsafeMutableBufferPointer<Float>, generator: inout SeededGenerator) {}
    public func reserve(batch: Int) {}
}
