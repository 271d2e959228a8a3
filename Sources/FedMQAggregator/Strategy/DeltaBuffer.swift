import TensorCore
import VectorKernels

/// Accumulates deltas for one round / buffer.
///
/// In `mean` mode it keeps only Σ wᵢ·Δᵢ and Σ cᵢ (O(model)); `result` is Σ wᵢ·Δᵢ / Σ cᵢ.
/// In robust modes it keeps every `scaleᵢ·Δᵢ` row (O(K·model)) and combines them coordinate-wise.
struct DeltaBuffer {
    let count: Int
    let aggregator: RobustAggregator
    private var sum: [Float]
    private var rows: [[Float]] = []
    private var normalizer: Double = 0
    private(set) var updates = 0

    init(count: Int, aggregator: RobustAggregator) {
        self.count = count
        self.aggregator = aggregator
        sum = aggregator == .mean ? [Float](repeating: 0, count: count) : []
    }

    /// Adds `weight · delta` to the sum and `normalizer` to Σ c. Robust modes store
    /// `scale · delta` (they are unweighted apart from the staleness scale).
    mutating func add(_ delta: [Float], weight: Double, normalizer c: Double, robustScale: Double) {
        updates += 1
        if aggregator == .mean {
            VectorMath.axpy(Float(weight), delta, &sum)
            normalizer += c
        } else {
            var row = delta
            if robustScale != 1 { VectorMath.scale(&row, by: Float(robustScale)) }
            rows.append(row)
        }
    }

    /// The combined delta; nil when nothing was added (or Σ c is 0).
    func result() -> [Float]? {
        guard updates > 0 else { return nil }
        switch aggregator {
        case .mean:
            guard normalizer > 0 else { return nil }
            var out = sum
            VectorMath.scale(&out, by: Float(1 / normalizer))
            return out
        case .median:
            return coordinatewise { sorted in
                let k = sorted.count
                return k % 2 == 1 ? sorted[k / 2] : (sorted[k / 2 - 1] + sorted[k / 2]) / 2
            }
        case .trimmedMean(let fraction):
            return coordinatewise { sorted in
                let drop = Int(fraction * Double(sorted.count))
                let kept = sorted[drop..<(sorted.count - drop)]
                return kept.reduce(0, +) / Float(kept.count)
            }
        }
    }

    /// Whether `add` keeps the delta's storage (robust modes store the rows).
    var retainsDeltas: Bool { aggregator != .mean }

    /// Floats held: the running sum (mean) or the stored rows (robust modes).
    var retainedFloats: Int { sum.capacity + rows.reduce(0) { $0 + $1.capacity } }

    mutating func reset() {
        updates = 0
        normalizer = 0
        rows.removeAll(keepingCapacity: true)
        if aggregator == .mean { sum.withUnsafeMutableBufferPointer { $0.update(repeating: 0) } }
    }

    private func coordinatewise(_ combine: ([Float]) -> Float) -> [Float] {
        var column = [Float](repeating: 0, count: rows.count)
        var out = [Float](repeating: 0, count: count)
        for j in 0..<count {
            for r in rows.indices { column[r] = rows[r][j] }
            column.sort()
            out[j] = combine(column)
        }
        return out
    }
}
