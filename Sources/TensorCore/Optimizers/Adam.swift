import Foundation

/// Adam with PyTorch's `torch.optim.Adam` semantics (L2 weight decay added to the gradient, bias
/// correction, ε outside the square root):
///
///     t += 1;  g = grad + weightDecay · p
///     m = β1 · m + (1 − β1) · g;   v = β2 · v + (1 − β2) · g²
///     p = p − lr / (1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + ε)
///
/// State: `[t] + m + v` (`1 + 2 · parameterCount` values).
public struct Adam: Optimizer {
    public var learningRate: Float
    public let beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float
    public let parameterCount: Int
    private var steps = 0
    private var m: [Float]
    private var v: [Float]

    /// - Throws: `ModelError.invalidArgument` for betas outside [0, 1) or negative values.
    public init(parameterCount: Int, learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
                epsilon: Float = 1e-8, weightDecay: Float = 0) throws {
        guard (0..<1).contains(beta1), (0..<1).contains(beta2), learningRate >= 0, epsilon >= 0,
              weightDecay >= 0, parameterCount >= 0 else {
            throw ModelError(.invalidArgument, "Adam: betas must be in [0, 1); lr, ε and weight decay ≥ 0")
        }
        self.parameterCount = parameterCount
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        m = [Float](repeating: 0, count: parameterCount)
        v = m
    }

    public mutating func step(parameters: inout [Float], gradients: [Float]) {
        precondition(parameters.count == parameterCount && gradients.count == parameterCount,
                     "Adam made for \(parameterCount) parameters, got \(parameters.count)/\(gradients.count)")
        steps += 1
        let t = Double(steps)
        let stepSize = Float(Double(learningRate) / (1 - pow(Double(beta1), t)))
        let rootCorrection = Float(sqrt(1 - pow(Double(beta2), t)))
        let (b1, b2, eps, wd) = (beta1, beta2, epsilon, weightDecay)
        parameters.withUnsafeMutableBufferPointer { p in
            gradients.withUnsafeBufferPointer { grad in
                m.withUnsafeMutableBufferPointer { m in
                    v.withUnsafeMutableBufferPointer { v in
                        for i in 0..<parameterCount {
                            let g = grad[i] + wd * p[i]
                            m[i] = b1 * m[i] + (1 - b1) * g
                            v[i] = b2 * v[i] + (1 - b2) * g * g
                            p[i] -= stepSize * m[i] / (v[i].squareRoot() / rootCorrection + eps)
                        }
                    }
                }
            }
        }
    }

    public var state: [Float] { [Float(steps)] + m + v }

    public mutating func load(state: [Float]) throws {
        guard state.count == 1 + 2 * parameterCount, let first = state.first, first >= 0 else {
            throw ModelError(.parameterCountMismatch, "Adam state needs \(1 + 2 * parameterCount) values, got \(state.count)")
        }
        steps = Int(first)
        m = Array(state[1...parameterCount])
        v = Array(state[(1 + parameterCount)...])
    }
}
