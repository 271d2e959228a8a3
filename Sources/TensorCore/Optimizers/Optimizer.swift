/// An update rule over a model's flat parameter vector (PyTorch `torch.optim` semantics).
///
/// Its state (momentum buffers, moments, step count) is also a flat vector so that federation can
/// checkpoint and restore it.
public protocol Optimizer: Sendable {
    /// Step size.
    var learningRate: Float { get set }
    /// Updates `parameters` in place from `gradients` (same count as the optimizer was made for).
    mutating func step(parameters: inout [Float], gradients: [Float])
    /// The whole optimizer state as one flat vector (layout documented by each optimizer).
    var state: [Float] { get }
    /// Restores a `state` taken from an optimizer of the same kind and parameter count.
    /// - Throws: `ModelError.parameterCountMismatch` on a size mismatch.
    mutating func load(state: [Float]) throws
}
