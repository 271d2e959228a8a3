import TensorCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Gamma and Dirichlet variates from a `SeededGenerator` (Marsaglia & Tsang 2000).
public enum GammaSampler {
    /// One Gamma(shape, 1) variate, shape > 0. For shape < 1 uses Gamma(shape + 1)·U^(1/shape).
    public static func gamma(shape: Double, using g: inout SeededGenerator) -> Double {
        precondition(shape > 0, "gamma shape must be positive")
        if shape < 1 {
            let u = max(g.nextUnitDouble(), Double.leastNormalMagnitude)
            return gamma(shape: shape + 1, using: &g) * pow(u, 1 / shape)
        }
        let d = shape - 1.0 / 3.0
        let c = 1 / (9 * d).squareRoot()
        while true {
            var x: Double
            var v: Double
            repeat {
                x = normal(using: &g)
                v = 1 + c * x
            } while v <= 0
            v = v * v * v
            let u = g.nextUnitDouble()
            if u < 1 - 0.0331 * x * x * x * x { return d * v }
            if log(max(u, Double.leastNormalMagnitude)) < 0.5 * x * x + d * (1 - v + log(v)) { return d * v }
        }
    }

    /// A Dirichlet(α, …, α) vector of `count` proportions summing to 1.
    public static func dirichlet(alpha: Double, count: Int, using g: inout SeededGenerator) -> [Double] {
        var xs = (0..<count).map { _ in gamma(shape: alpha, using: &g) }
        var total = xs.reduce(0, +)
        if !(total > 0) {  // every variate underflowed (tiny α): put all mass on one random entry
            xs = [Double](repeating: 0, count: count)
            xs[Int(g.next() % UInt64(count))] = 1
            total = 1
        }
        return xs.map { $0 / total }
    }

    /// A standard normal variate (Box–Muller).
    static func normal(using g: inout SeededGenerator) -> Double { g.nextStandardNormal() }
}
