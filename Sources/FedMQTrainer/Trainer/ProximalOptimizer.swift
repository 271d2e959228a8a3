import TensorCore

/// FedProx: wraps an optimizer and adds the proximal term μ·(w − w_global) to every gradient
/// before delegating, which keeps local weights near the global model they started from.
/// With μ = 0 it is exactly the wrapped optimizer.
public struct ProximalOptimizer<Base: Optimizer>: Optimizer {
    /// The wrapped update rule.
    public var base: Base
    /// The global weights training started from (flat, the model's parameter count).
    public let anchor: [Float]
    /// Proximal coefficient μ ≥ 0.
    public let mu: Float
    private var scratch: [Float] = []

    public init(base: Base, anchor: [Float], mu: Float) {
        self.base = base
        self.anchor = anchor
        self.mu = mu
    }

    public var learningRate: Float {
        get { base.learningRate }
        set { base.learningRate = newValue }
    }

    public mutating func step(parameters: inout [Float], gradients: [Float]) {
        guard mu != 0 else { return base.step(parameters: &parameters, gradients: gradients) }
        precondition(parameters.count == anchor.count && gradients.count == anchor.count,
                     "proximal anchor has \(anchor.count) values, got \(parameters.count)/\(gradients.count)")
        scratch = gradients
        let (mu, anchor) = (mu, anchor)
        scratch.withUnsafeMutableBufferPointer { g in
            parameters.withUnsafeBufferPointer { w in
                anchor.withUnsafeBufferPointer { w0 in
                    for i in 0..<g.count { g[i] += mu * (w[i] - w0[i]) }
                }
            }
        }
        base.step(parameters: &parameters, gradients: scratch)
    }

    public var state: [Float] { base.state }

    public mutating func load(state: [Float]) throws { try base.load(state: state) }
}
