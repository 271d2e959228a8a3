import SafeTensorsFormat
import TensorCore

/// Central finite differences of a scalar `Σ r ⊙ model(x)` (Double sums) against `Sequential`'s
/// backward, for the input and for every parameter tensor.
struct GradientCheck {
    let model: Sequential
    var input: Tensor
    let weights: [Float]

    /// Random input in ±1 and a random output weighting `r` in ±1, from `seed`.
    init(_ layers: [any Layer], inputShape: [Int], batch: Int, seed: UInt64) throws {
        model = try Sequential(layers, inputShape: inputShape, seed: seed)
        var r = SeededGenerator(seed: seed &+ 1)
        input = Tensor(shape: [batch] + inputShape,
                       storage: (0..<(batch * inputShape.reduce(1, *))).map { _ in r.nextUnitFloat() * 2 - 1 })
        let outCount = batch * model.outputShape.reduce(1, *)
        weights = (0..<outCount).map { _ in r.nextUnitFloat() * 2 - 1 }
    }

    /// `Σ r ⊙ model(x)` in Double.
    func objective(_ x: Tensor) throws -> Double {
        let y = try model.forward(x, training: false)
        return zip(y.storage, weights).reduce(0) { $0 + Double($1.0) * Double($1.1) }
    }

    /// Analytic input and parameter gradients of `objective`.
    func analytic() throws -> (input: [Float], parameters: [Float]) {
        let y = try model.forward(input, training: false)
        model.zeroGradients()
        let dx = try model.backward(Tensor(shape: y.shape, storage: weights))
        return (dx.storage, model.gradients)
    }

    /// Central difference of `evaluate` in coordinate `index` of `vector`, or nil when the two
    /// one-sided differences disagree: the step crossed a kink (ReLU at 0, a max-pool tie), where
    /// the derivative is not defined, so the coordinate is skipped.
    func numeric(_ vector: [Float], _ index: Int, eps: Float, evaluate: ([Float]) throws -> Double) rethrows -> Double? {
        var plus = vector, minus = vector
        plus[index] += eps
        minus[index] -= eps
        let (up, centre, down) = (try evaluate(plus), try evaluate(vector), try evaluate(minus))
        let forward = (up - centre) / Double(eps), backward = (centre - down) / Double(eps)
        guard abs(forward - backward) <= 0.05 * max(abs(forward), abs(backward)) + 2e-3 else { return nil }
        return (up - down) / Double(2 * eps)
    }

    /// Relative error of analytic values `a` against numeric ones `n`, over the coordinates where
    /// the numeric derivative exists.
    func compare(_ a: [Float], _ n: [Double?]) -> Double {
        let kept = zip(a, n).compactMap { pair in pair.1.map { (Double(pair.0), $0) } }
        precondition(kept.count * 2 >= n.count, "too many kinks: \(n.count - kept.count) of \(n.count)")
        return relativeError(kept.map(\.0), kept.map(\.1))
    }

    /// Relative error `‖a − n‖ / max(‖n‖, 1e-6)` of the input gradient at `indices`.
    func inputError(eps: Float = 1e-3, indices: [Int]? = nil) throws -> Double {
        let (dx, _) = try analytic()
        let shape = input.shape
        let chosen = indices ?? Array(dx.indices)
        let n = try chosen.map { i in
            try numeric(input.storage, i, eps: eps) { try objective(Tensor(shape: shape, storage: $0)) }
        }
        return compare(chosen.map { dx[$0] }, n)
    }

    /// Relative error per parameter tensor (by name), over `indices` of each (all when nil).
    func parameterErrors(eps: Float = 1e-3, samplesPerTensor: Int? = nil) throws -> [String: Double] {
        let (_, grads) = try analytic()
        let original = model.parameters
        defer { try? model.load(flat: original) }
        var errors: [String: Double] = [:]
        var pick = SeededGenerator(seed: 99)
        for (spec, offset) in zip(model.layout.parameters, model.layout.offsets) {
            let all = Array(offset..<(offset + spec.count))
            let chosen = samplesPerTensor.map { k in (0..<min(k, all.count)).map { _ in all[Int(pick.next() % UInt64(all.count))] } } ?? all
            let n = try chosen.map { i in
                try numeric(original, i, eps: eps) { p in
                    try model.load(flat: p)
                    return try objective(input)
                }
            }
            errors[spec.name] = compare(chosen.map { grads[$0] }, n)
        }
        return errors
    }
}

/// `‖a − b‖₂ / max(‖b‖₂, 1e-6)`.
func relativeError(_ a: [Double], _ b: [Double]) -> Double {
    var diff = 0.0, norm = 0.0
    for (x, y) in zip(a, b) {
        diff += (x - y) * (x - y)
        norm += y * y
    }
    return diff.squareRoot() / max(norm.squareRoot(), 1e-6)
}

/// Uniform values in ±1 from `seed`.
func randomValues(_ count: Int, seed: UInt64) -> [Float] {
    var r = SeededGenerator(seed: seed)
    return (0..<count).map { _ in r.nextUnitFloat() * 2 - 1 }
}
