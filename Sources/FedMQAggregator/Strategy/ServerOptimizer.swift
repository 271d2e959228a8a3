import FedMQProtocol
import TensorCore
import VectorKernels

/// Applies an aggregate delta (the pseudo-gradient Δ̄, pointing downhill) to the global model.
///
/// - `sgd`: x ← x + η·Δ̄ (η = 1 is plain FedAvg / FedBuff).
/// - `momentum` (FedAvgM): m ← β·m + Δ̄; x ← x + η·m.
/// - `adam` (FedAdam, Reddi et al. 2021, no bias correction): m ← β₁·m + (1−β₁)·Δ̄;
///   v ← β₂·v + (1−β₂)·Δ̄²; x ← x + η·m / (√v + ε), ε the adaptivity τ.
///
/// State is O(model) for momentum, O(2·model) for adam.
public struct ServerOptimizer: Sendable {
    /// The update rule and its hyper-parameters.
    public enum Rule: Sendable, Hashable, CustomStringConvertible {
        case sgd(lr: Float)
        case momentum(lr: Float, beta: Float)
        case adam(lr: Float, beta1: Float, beta2: Float, epsilon: Float)

        /// Parses `sgd:<lr>`, `momentum:<lr>,<beta>` (alias `fedavgm`), `adam:<lr>,<beta1>,<beta2>,<eps>`
        /// (alias `fedadam`; defaults 0.9, 0.99, 1e-3 when only lr is given).
        public init(parsing text: String) throws(ConfigurationError) {
            let (name, a) = try ConfigurationError.split(text, what: "server optimizer")
            let f = a.map { Float($0) }
            switch (name, f.count) {
            case ("sgd", 0): self = .sgd(lr: 1); return
            case ("sgd", 1) where f[0] > 0: self = .sgd(lr: f[0]); return
            case ("momentum", 2), ("fedavgm", 2):
                if f[0] > 0, f[1] >= 0, f[1] < 1 { self = .momentum(lr: f[0], beta: f[1]); return }
            case ("adam", 1), ("fedadam", 1):
                if f[0] > 0 { self = .adam(lr: f[0], beta1: 0.9, beta2: 0.99, epsilon: 1e-3); return }
            case ("adam", 4), ("fedadam", 4):
                if f[0] > 0, (0..<1).contains(f[1]), (0..<1).contains(f[2]), f[3] > 0 {
                    self = .adam(lr: f[0], beta1: f[1], beta2: f[2], epsilon: f[3]); return
                }
            default: break
            }
            throw ConfigurationError(
                "server optimizer \"\(text)\": expected sgd[:lr], momentum:lr,beta or adam:lr[,beta1,beta2,eps]")
        }

        /// The forms `init(parsing:)` accepts, for help texts.
        public static let forms = ["sgd[:<lr>]", "momentum:<lr>,<beta>", "adam:<lr>[,<beta1>,<beta2>,<eps>]"]

        /// The text `init(parsing:)` reads back, e.g. `momentum:1.0,0.9`.
        public var description: String {
            switch self {
            case .sgd(let lr): "sgd:\(lr)"
            case .momentum(let lr, let beta): "momentum:\(lr),\(beta)"
            case .adam(let lr, let b1, let b2, let eps): "adam:\(lr),\(b1),\(b2),\(eps)"
            }
        }
    }

    public let rule: Rule
    /// First moment / momentum buffer (empty for sgd).
    public private(set) var m: [Float]
    /// Second moment (adam only).
    public private(set) var v: [Float]
    /// Steps taken.
    public private(set) var steps: UInt64 = 0

    /// An optimizer for a model of `count` parameters.
    public init(_ rule: Rule, count: Int) {
        self.rule = rule
        switch rule {
        case .sgd: m = []; v = []
        case .momentum: m = [Float](repeating: 0, count: count); v = []
        case .adam: m = [Float](repeating: 0, count: count); v = [Float](repeating: 0, count: count)
        }
    }

    /// x ← step(x, Δ̄). `model` and `delta` have the optimizer's count.
    public mutating func apply(_ delta: [Float], to model: inout [Float]) {
        steps += 1
        switch rule {
        case .sgd(let lr):
            VectorMath.axpy(lr, delta, &model)
        case .momentum(let lr, let beta):
            VectorMath.axpby(1, delta, beta, &m)
            VectorMath.axpy(lr, m, &model)
        case .adam(let lr, let b1, let b2, let eps):
            VectorMath.axpby(1 - b1, delta, b1, &m)
            let count = model.count
            delta.withUnsafeBufferPointer { d in
                m.withUnsafeBufferPointer { mp in
                    v.withUnsafeMutableBufferPointer { vp in
                        model.withUnsafeMutableBufferPointer { x in
                            for i in 0..<count {
                                vp[i] = b2 * vp[i] + (1 - b2) * d[i] * d[i]
                                x[i] += lr * mp[i] / (vp[i].squareRoot() + eps)
                            }
                        }
                    }
                }
            }
        }
    }

    /// Floats of optimizer state (moments).
    public var retainedFloats: Int { m.capacity + v.capacity }

    /// Named state vectors for checkpoints.
    public var stateVectors: [String: [Float]] {
        var out: [String: [Float]] = [:]
        if !m.isEmpty { out["optimizer.m"] = m }
        if !v.isEmpty { out["optimizer.v"] = v }
        return out
    }

    /// Restores state saved by `stateVectors` and `steps`; throws if a vector is missing or
    /// of the wrong length.
    public mutating func restore(vectors: [String: [Float]], steps: UInt64) throws(ConfigurationError) {
        if !m.isEmpty { m = try Self.vector(vectors, "optimizer.m", count: m.count) }
        if !v.isEmpty { v = try Self.vector(vectors, "optimizer.v", count: v.count) }
        self.steps = steps
    }

    private static func vector(_ all: [String: [Float]], _ name: String, count: Int) throws(ConfigurationError) -> [Float] {
        guard let x = all[name], x.count == count else {
            throw ConfigurationError("checkpoint lacks optimizer state \(name) of \(count) values", code: "checkpoint_state")
        }
        return x
    }
}
