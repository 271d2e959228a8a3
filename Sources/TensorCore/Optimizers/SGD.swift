/// Stochastic gradient descent with PyTorch's `torch.optim.SGD` semantics:
///
///     g = grad + weightDecay · p
///     b = g (first step),  b = momentum · b + (1 − dampening) · g (later)   [if momentum ≠ 0]
///     g = g + momentum · b (Nesterov) or g = b                              [if momentum ≠ 0]
///     p = p − lr · g
///
/// State: `[steps] + b` (b only when momentum ≠ 0), `parameterCount` values for b.
public struct SGD: Optimizer {
    public var learningRate: Float
    public let momentum: Float, dampening: Float, weightDecay: Float
    public let nesterov: Bool
    public let parameterCount: Int
    private var steps = 0
    private var buffer: [Float]

    /// - Throws: `ModelError.invalidArgument` for negative values or Nesterov without momentum
    ///   or with dampening (as PyTorch).
    public init(parameterCount: Int, learningRate: Float, momentum: Float = 0, dampening: Float = 0,
                nesterov: Bool = false, weightDecay: Float = 0) throws {
        guard learningRate >= 0, momentum >= 0, weightDecay >= 0, dampening >= 0, parameterCount >= 0 else {
            throw ModelError(.invalidArgument, "SGD: learning rate, momentum, dampening and weight decay must be ≥ 0")
        }
        guard !nesterov || (momentum > 0 && dampening == 0) else {
            throw ModelError(.invalidArgument, "SGD: Nesterov momentum requires a momentum and zero dampening")
        }
        self.parameterCount = parameterCount
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        buffer = [Float](repeating: 0, count: momentum != 0 ? parameterCount : 0)
    }

    public mutating func step(parameters: inout [Float], gradients: [Float]) {
        precondition(parameters.count == parameterCount && gradients.count == parameterCount,
                     "SGD made for \(parameterCount) parameters, got \(parameters.count)/\(gradients.count)")
        let (lr, mu, damp, wd, first, nesterov) = (learningRate, momentum, dampening, weightDecay, steps == 0, nesterov)
        parameters.withUnsafeMutableBufferPointer { p in
            gradients.withUnsafeBufferPointer { grad in
                buffer.withUnsafeMutableBufferPointer { b in
                    for i in 0..<parameterCount {
                        var g = grad[i] + wd * p[i]
                        if mu != 0 {
                            b[i] = first ? g : mu * b[i] + (1 - damp) * g
                            g = nesterov ? g + mu * b[i] : b[i]
                        }
                        p[i] -= lr * g
                    }
                }
            }
        }
        steps += 1
    }

    public var state: [Float] { [Float(steps)] + buffer }

    public mutating func load(state: [Float]) throws {
        guard state.count == 1 + buffer.count, let first = state.first, first >= 0 else {
            throw ModelError(.parameterCountMismatch, "SGD state needs \(1 + buffer.count) values, got \(state.count)")
        }
        steps = Int(first)
        buffer = Array(state.dropFirst())
    }
}
