import TensorCore
import Testing

/// A small convolution problem with random data and a fixed random output gradient.
private struct ConvProblem {
    let g: Im2Col.Geometry
    let batch: Int, outChannels: Int
    var x: [Float], w: [Float], b: [Float]
    let dy: [Float]

    init(_ g: Im2Col.Geometry, batch: Int, outChannels: Int, seed: UInt64) {
        var r = SeededGenerator(seed: seed)
        func fill(_ n: Int) -> [Float] { (0..<n).map { _ in r.nextUnitFloat() * 2 - 1 } }
        self.g = g
        self.batch = batch
        self.outChannels = outChannels
        x = fill(batch * g.channels * g.height * g.width)
        w = fill(outChannels * g.columnRows)
        b = fill(outChannels)
        dy = fill(batch * outChannels * g.columnCount)
    }

    func forward() -> [Float] {
        var out = [Float](repeating: .nan, count: dy.count)
        var cols = [Float](repeating: 0, count: g.columnRows * g.columnCount)
        ConvolutionKernel.forward(input: x, batch: batch, geometry: g, weight: w, bias: b,
                                  outChannels: outChannels, output: &out, columns: &cols)
        return out
    }

    /// `Σ dy ⊙ forward()` in Double: the scalar whose gradients `backward` computes.
    func loss() -> Double { zip(forward(), dy).reduce(0) { $0 + Double($1.0) * Double($1.1) } }

    /// The definition, with Double sums.
    func directForward() -> [Double] {
        var out = [Double](repeating: 0, count: dy.count)
        for n in 0..<batch {
            for o in 0..<outChannels {
                for oy in 0..<g.outHeight {
                    for ox in 0..<g.outWidth {
                        var s = Double(b[o])
                        for c in 0..<g.channels {
                            for i in 0..<g.kernelHeight {
                                for j in 0..<g.kernelWidth {
                                    let y = oy * g.stride - g.padding + i, xx = ox * g.stride - g.padding + j
                                    guard y >= 0, y < g.height, xx >= 0, xx < g.width else { continue }
                                    let wv = w[((o * g.channels + c) * g.kernelHeight + i) * g.kernelWidth + j]
                                    s += Double(wv) * Double(x[((n * g.channels + c) * g.height + y) * g.width + xx])
                                }
                            }
                        }
                        out[((n * outChannels + o) * g.outHeight + oy) * g.outWidth + ox] = s
                    }
                }
            }
        }
        return out
    }
}

private let cases = [
    Im2Col.Geometry(channels: 1, height: 12, width: 12, kernelHeight: 5, kernelWidth: 5),
    Im2Col.Geometry(channels: 3, height: 8, width: 7, kernelHeight: 3, kernelWidth: 3, stride: 2, padding: 1),
]

@Test("convolution forward matches the direct definition", arguments: cases)
func convolutionForward(g: Im2Col.Geometry) {
    let p = ConvProblem(g, batch: 3, outChannels: 7, seed: 11)
    let worst = zip(p.forward(), p.directForward()).map { abs(Double($0) - $1) }.max() ?? 0
    #expect(worst < 1e-4)
}

@Test("convolution backward matches central differences", arguments: cases)
func convolutionBackward(g: Im2Col.Geometry) {
    var p = ConvProblem(g, batch: 2, outChannels: 6, seed: 12)
    var dw = [Float](repeating: 0, count: p.w.count), db = [Float](repeating: 0, count: p.b.count)
    var dx = [Float](repeating: .nan, count: p.x.count)
    var cols = [Float](repeating: 0, count: g.columnRows * g.columnCount), dcols = cols
    ConvolutionKernel.backward(input: p.x, batch: p.batch, geometry: g, weight: p.w, outChannels: p.outChannels,
                               outputGradient: p.dy, weightGradient: &dw, biasGradient: &db,
                               inputGradient: &dx, columns: &cols, columnGradient: &dcols)
    let eps: Float = 1e-2
    // The loss is linear in each parameter, so central differences are exact up to rounding.
    func check(_ keyPath: WritableKeyPath<ConvProblem, [Float]>, _ analytic: [Float], _ label: String) {
        for index in stride(from: 0, to: analytic.count, by: max(1, analytic.count / 13)) {
            let saved = p[keyPath: keyPath][index]
            p[keyPath: keyPath][index] = saved + eps
            let up = p.loss()
            p[keyPath: keyPath][index] = saved - eps
            let down = p.loss()
            p[keyPath: keyPath][index] = saved
            let numeric = (up - down) / (2 * Double(eps))
            #expect(abs(numeric - Double(analytic[index])) < 1e-2 * max(1, abs(numeric)), "\(label)[\(index)]")
        }
    }
    check(\.w, dw, "dW")
    check(\.b, db, "db")
    check(\.x, dx, "dX")
}
