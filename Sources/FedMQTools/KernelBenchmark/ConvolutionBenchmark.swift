import TensorCore

/// Times `ConvolutionKernel` on the default CNN's two convolutions for one mini-batch.
public enum ConvolutionBenchmark {
    /// One timed convolution layer: milliseconds per mini-batch and GFLOP/s of its GEMM work.
    public struct Result: Sendable {
        public var label: String
        public var forwardMilliseconds: Double
        public var backwardMilliseconds: Double
        public var forwardGFLOPS: Double
        public var backwardGFLOPS: Double
    }

    /// conv1 (1→10, 5×5 on 28×28, no input gradient) and conv2 (10→20, 5×5 on 12×12).
    public static func cnnLayers(batch: Int) -> [Result] {
        [
            run("cnn conv1 1->10 k5 28x28",
                Im2Col.Geometry(channels: 1, height: 28, width: 28, kernelHeight: 5, kernelWidth: 5),
                outChannels: 10, batch: batch, inputGradient: false),
            run("cnn conv2 10->20 k5 12x12",
                Im2Col.Geometry(channels: 10, height: 12, width: 12, kernelHeight: 5, kernelWidth: 5),
                outChannels: 20, batch: batch, inputGradient: true),
        ]
    }

    public static func run(
        _ label: String, _ g: Im2Col.Geometry, outChannels: Int, batch: Int, inputGradient: Bool
    ) -> Result {
        var r = SeededGenerator(seed: 7)
        let x = (0..<(batch * g.channels * g.height * g.width)).map { _ in r.nextUnitFloat() - 0.5 }
        let w = (0..<(outChannels * g.columnRows)).map { _ in r.nextUnitFloat() - 0.5 }
        let b = [Float](repeating: 0.1, count: outChannels)
        var y = [Float](repeating: 0, count: batch * outChannels * g.columnCount)
        var dw = w, db = b, dx = x
        var cols = [Float](repeating: 0, count: g.columnRows * g.columnCount), dcols = cols
        let forward = BenchmarkClock.bestSecondsPerCall {
            ConvolutionKernel.forward(input: x, batch: batch, geometry: g, weight: w, bias: b,
                                      outChannels: outChannels, output: &y, columns: &cols)
        }
        let backward = BenchmarkClock.bestSecondsPerCall {
            dx.withUnsafeMutableBufferPointer { dxp in
                dcols.withUnsafeMutableBufferPointer { dcp in
                    ConvolutionKernel.backward(
                        input: x, batch: batch, geometry: g, weight: w, outChannels: outChannels,
                        outputGradient: y, weightGradient: &dw, biasGradient: &db,
                        inputGradient: inputGradient ? dxp.baseAddress : nil, columns: &cols,
                        columnGradient: dcp.baseAddress)
                }
            }
        }
        let macs = Double(batch * outChannels * g.columnRows * g.columnCount)
        return Result(label: label, forwardMilliseconds: forward * 1e3, backwardMilliseconds: backward * 1e3,
                      forwardGFLOPS: 2 * macs / forward / 1e9,
                      backwardGFLOPS: 2 * macs * (inputGradient ? 2 : 1) / backward / 1e9)
    }
}
