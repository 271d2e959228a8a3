import VectorKernels

/// Memory bandwidth of `VectorMath` over large flat vectors, beside `memcpy` in the same run.
///
/// Bytes are counted as in STREAM: every element read or written once per pass (copy: 2 × 4
/// bytes per element, axpy: 3 × 4, dot: 2 × 4), so the figures are directly comparable.
public enum BandwidthBenchmark {
    /// Median GB/s (1e9 bytes) of each operation over `repetitions` passes on vectors of `megabytes`.
    public struct Result: Sendable {
        public var memcpy: Double
        public var axpy: Double
        public var axpby: Double
        public var dot: Double
    }

    public static func run(megabytes: Int = 64, repetitions: Int = 10) -> Result {
        let count = max(megabytes, 1) * (1 << 20) / MemoryLayout<Float>.stride
        let x = [Float](repeating: 0.5, count: count)
        var y = [Float](repeating: 0.25, count: count)
        var z = [Float](repeating: 0, count: count)
        let bytes = Double(count * MemoryLayout<Float>.stride)
        var copies: [Double] = [], axpys: [Double] = [], axpbys: [Double] = [], dots: [Double] = []
        var sink: Float = 0
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                z.withUnsafeMutableBufferPointer { zp in
                    let xb = xp.baseAddress!, yb = yp.baseAddress!, zb = zp.baseAddress!
                    for pass in 0...max(repetitions, 1) {
                        let copy = BenchmarkClock.seconds { VectorMath.copy(xb, to: zb, count: count) }
                        let axpy = BenchmarkClock.seconds { VectorMath.axpy(1e-3, xb, yb, count: count) }
                        let axpby = BenchmarkClock.seconds { VectorMath.axpby(1e-3, xb, 0.999, yb, count: count) }
                        let dot = BenchmarkClock.seconds { sink += VectorMath.dot(xb, yb, count: count) }
                        guard pass > 0 else { continue } // first pass warms pages and caches
                        copies.append(2 * bytes / copy / 1e9)
                        axpys.append(3 * bytes / axpy / 1e9)
                        axpbys.append(3 * bytes / axpby / 1e9)
                        dots.append(2 * bytes / dot / 1e9)
                    }
                }
            }
        }
        precondition(sink.isFinite, "bandwidth benchmark produced non-finite dot products")
        return Result(memcpy: median(copies), axpy: median(axpys), axpby: median(axpbys), dot: median(dots))
    }

    private static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }
}
