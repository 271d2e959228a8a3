// Privacy accounting multiplies and sums probabilities far below Double's range (terms such as
// e^-3000 next to e^40): every quantity is kept as its natural logarithm, and these are the few
// operations on such logarithms the accountant needs, written so that none overflows or
// cancels catastrophically.
import Foundation

/// Arithmetic on natural logarithms of non-negative numbers (−∞ stands for 0).
enum LogSpace {
    /// log(eˣ + eʸ).
    static func add(_ x: Double, _ y: Double) -> Double {
        let (low, high) = (min(x, y), max(x, y))
        guard low > -.infinity else { return high }
        return high + log1p(exp(low - high))
    }

    /// log(eˣ − eʸ) for x ≥ y (nil when y > x: the difference would be negative).
    static func subtract(_ x: Double, _ y: Double) -> Double? {
        guard x >= y else { return nil }
        guard y > -.infinity else { return x }
        guard x > y else { return -.infinity }
        return x + log1p(-exp(y - x))
    }

    /// log(erfc(x)), accurate also where erfc(x) underflows (x beyond about 26).
    static func erfc(_ x: Double) -> Double {
        if x < 20 { return log(Foundation.erfc(x)) }
        // The asymptotic (Laurent) series of log erfc at infinity.
        let x2 = x * x
        return -log(Double.pi) / 2 - log(x) - x2 - 0.5 / x2 + 0.625 / (x2 * x2) - 37.0 / 24.0 / (x2 * x2 * x2)
    }

    /// log C(n, k) for integers 0 ≤ k ≤ n.
    static func binomial(_ n: Int, _ k: Int) -> Double {
        lgamma(Double(n) + 1) - lgamma(Double(k) + 1) - lgamma(Double(n - k) + 1)
    }
}
