import SafeTensorsFormat
import TensorCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Training throughput on one thread: samples/s of `Sequential.trainStep` (forward, mean NLL
/// loss, backward, SGD lr 0.01 momentum 0.5), on seeded random N(0, 1) images and labels, the
/// same protocol as `benchmarks/peer_pytorch.py`.
public enum TrainingBenchmark {
    /// Best samples/s over 3 timed rounds of about `seconds / 3` each, after 20 warm-up steps.
    ///
    /// - Throws: `ModelError` if the architecture rejects the generated batch (it should not).
    public static func samplesPerSecond(
        _ architecture: ModelArchitecture, batch: Int, seconds: Double = 2, seed: UInt64 = 1
    ) throws -> Double {
        let model = architecture.build(seed: seed)
        var optimizer = try SGD(parameterCount: model.layout.count, learningRate: 0.01, momentum: 0.5)
        let batches = randomBatches(architecture, batch: batch, count: 8, seed: seed)
        var next = 0
        func run(_ steps: Int) throws {
            for _ in 0..<steps {
                let (images, labels) = batches[next % batches.count]
                _ = try model.trainStep(images: images, labels: labels, optimizer: &optimizer)
                next += 1
            }
        }
        try run(20)
        var steps = 1
        while try BenchmarkClock.seconds({ try run(steps) }) < 0.1 { steps *= 2 }
        let secondsPerStep = try BenchmarkClock.seconds({ try run(steps) }) / Double(steps)
        steps = max(1, Int(seconds / 3 / secondsPerStep))
        var best = 0.0
        for _ in 0..<3 {
            best = max(best, Double(steps * batch) / (try BenchmarkClock.seconds { try run(steps) }))
        }
        return best
    }

    /// `count` batches of standard-normal images (Box–Muller) and uniform labels in `0..<10`.
    private static func randomBatches(
        _ architecture: ModelArchitecture, batch: Int, count: Int, seed: UInt64
    ) -> [(Tensor, [Int32])] {
        var g = SeededGenerator(seed: seed).derived(1)
        let size = batch * architecture.inputShape.reduce(1, *)
        return (0..<count).map { _ in
            let pixels = (0..<size).map { _ in
                Float((-2 * log(1 - g.nextUnitDouble())).squareRoot() * cos(2 * Double.pi * g.nextUnitDouble()))
            }
            let labels = (0..<batch).map { _ in Int32(g.next() % 10) }
            return (Tensor(shape: [batch] + architecture.inputShape, storage: pixels), labels)
        }
    }
}
