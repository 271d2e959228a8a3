import Foundation
import TensorCore
import Testing

/// Optimizer steps on 3-element vectors against the update formulas of `torch.optim`, evaluated
/// here in Double.
@Suite struct OptimizerTests {
    private let start: [Float] = [0.5, -1.25, 2.0]
    /// Gradients for three successive steps.
    private let grads: [[Float]] = [[0.1, -0.4, 0.3], [-0.2, 0.5, 0.05], [0.3, 0.1, -0.6]]

    private func run(_ optimizer: inout some Optimizer) -> [Float] {
        var p = start
        for g in grads { optimizer.step(parameters: &p, gradients: g) }
        return p
    }

    /// torch.optim.SGD, one coordinate at a time.
    private func sgdReference(lr: Double, momentum: Double, dampening: Double, nesterov: Bool, wd: Double) -> [Double] {
        start.indices.map { i in
            var p = Double(start[i]), b = 0.0
            for (t, gs) in grads.enumerated() {
                var g = Double(gs[i]) + wd * p
                if momentum != 0 {
                    b = t == 0 ? g : momentum * b + (1 - dampening) * g
                    g = nesterov ? g + momentum * b : b
                }
                p -= lr * g
            }
            return p
        }
    }

    @Test(arguments: [(0.0, 0.0, false, 0.0), (0.5, 0.0, false, 0.0), (0.9, 0.3, false, 0.0),
                      (0.9, 0.0, true, 0.0), (0.5, 0.0, true, 0.01), (0.0, 0.0, false, 0.1)])
    func sgdMatchesPyTorchSemantics(momentum: Double, dampening: Double, nesterov: Bool, wd: Double) throws {
        var sgd = try SGD(parameterCount: 3, learningRate: 0.1, momentum: Float(momentum), dampening: Float(dampening),
                          nesterov: nesterov, weightDecay: Float(wd))
        let got = run(&sgd)
        let expected = sgdReference(lr: 0.1, momentum: momentum, dampening: dampening, nesterov: nesterov, wd: wd)
        for (a, b) in zip(got, expected) { #expect(abs(Double(a) - b) < 1e-6) }
    }

    @Test(arguments: [0.0, 0.01])
    func adamMatchesPyTorchSemantics(wd: Double) throws {
        let (lr, b1, b2, eps) = (0.01, 0.9, 0.999, 1e-8)
        var adam = try Adam(parameterCount: 3, learningRate: Float(lr), weightDecay: Float(wd))
        let got = run(&adam)
        for i in start.indices {
            var p = Double(start[i]), m = 0.0, v = 0.0
            for (t, gs) in grads.enumerated() {
                let g = Double(gs[i]) + wd * p
                m = b1 * m + (1 - b1) * g
                v = b2 * v + (1 - b2) * g * g
                let step = Double(t + 1)
                p -= lr / (1 - pow(b1, step)) * m / (v.squareRoot() / (1 - pow(b2, step)).squareRoot() + eps)
            }
            #expect(abs(Double(got[i]) - p) < 1e-6)
        }
    }

    @Test func stateRoundTripContinuesIdentically() throws {
        var a = try Adam(parameterCount: 3, learningRate: 0.01)
        var s = try SGD(parameterCount: 3, learningRate: 0.1, momentum: 0.9)
        var pa = start, ps = start
        a.step(parameters: &pa, gradients: grads[0])
        s.step(parameters: &ps, gradients: grads[0])
        var a2 = try Adam(parameterCount: 3, learningRate: 0.01)
        var s2 = try SGD(parameterCount: 3, learningRate: 0.1, momentum: 0.9)
        try a2.load(state: a.state)
        try s2.load(state: s.state)
        #expect(a.state.count == 7 && s.state.count == 4)
        var (qa, qs) = (pa, ps)
        a.step(parameters: &pa, gradients: grads[1])
        a2.step(parameters: &qa, gradients: grads[1])
        s.step(parameters: &ps, gradients: grads[1])
        s2.step(parameters: &qs, gradients: grads[1])
        #expect(pa == qa && ps == qs)
    }

    @Test func badConfigurationAndStateAreRejected() throws {
        #expect(throws: ModelError.self) { try SGD(parameterCount: 3, learningRate: 0.1, nesterov: true) }
        #expect(throws: ModelError.self) { try SGD(parameterCount: 3, learningRate: -1) }
        #expect(throws: ModelError.self) { try Adam(parameterCount: 3, beta1: 1) }
        var sgd = try SGD(parameterCount: 3, learningRate: 0.1, momentum: 0.9)
        #expect(throws: ModelError.self) { try sgd.load(state: [0, 1, 2]) }
        var adam = try Adam(parameterCount: 3)
        #expect(throws: ModelError.self) { try adam.load(state: [Float](repeating: 0, count: 6)) }
    }
}
