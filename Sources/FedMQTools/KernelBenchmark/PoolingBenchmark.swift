import TensorCore

/// Times `PoolingKernel` (2×2 max pooling fused with ReLU) on the default CNN's conv1 output.
public enum PoolingBenchmark {
    /// Milliseconds per mini-batch of `batch` samples: (forward, backward).
    public static func cnnPool1(batch: Int) -> (forward: Double, backward: Double) {
        let planes = batch * 10, side = 24, out = side / 2
        var r = SeededGenerator(seed: 9)
        let x = (0..<(planes * side * side)).map { _ in r.nextUnitFloat() - 0.5 }
        var y = [Float](repeating: 0, count: planes * out * out)
        var arg = [Int32](repeating: 0, count: y.count)
        var dx = x
        let forward = BenchmarkClock.bestSecondsPerCall {
            PoolingKernel.maxPoolForward(x, planes: planes, height: side, width: side, kernel: 2, stride: 2,
                                         relu: true, output: &y, argmax: &arg)
        }
        let backward = BenchmarkClock.bestSecondsPerCall {
            PoolingKernel.maxPoolBackward(outputGradient: y, output: y, argmax: arg, planes: planes,
                                          height: side, width: side, kernel: 2, stride: 2, relu: true,
                                          inputGradient: &dx)
        }
        return (forward * 1e3, backward * 1e3)
    }
}
