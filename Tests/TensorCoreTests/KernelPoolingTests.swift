import TensorCore
import Testing

struct KernelPoolCase: Sendable, CustomStringConvertible {
    var planes: Int, height: Int, width: Int, kernel: Int, stride: Int, relu: Bool
    var description: String { "\(planes)x\(height)x\(width) k\(kernel) s\(stride) relu=\(relu)" }
}

private let poolCases = [
    KernelPoolCase(planes: 3, height: 24, width: 24, kernel: 2, stride: 2, relu: true),
    KernelPoolCase(planes: 2, height: 7, width: 9, kernel: 2, stride: 2, relu: false),
    KernelPoolCase(planes: 2, height: 7, width: 6, kernel: 3, stride: 2, relu: true),
    KernelPoolCase(planes: 1, height: 5, width: 5, kernel: 3, stride: 1, relu: false),
]

@Test("max pooling forward and backward match the definition", arguments: poolCases)
func maxPool(p: KernelPoolCase) {
    var g = SeededGenerator(seed: 5)
    let x = (0..<(p.planes * p.height * p.width)).map { _ in g.nextUnitFloat() * 2 - 1 }
    let oh = PoolingKernel.outputExtent(p.height, kernel: p.kernel, stride: p.stride)
    let ow = PoolingKernel.outputExtent(p.width, kernel: p.kernel, stride: p.stride)
    let dy = (0..<(p.planes * oh * ow)).map { _ in g.nextUnitFloat() + 0.5 }
    var y = [Float](repeating: .nan, count: dy.count)
    var arg = [Int32](repeating: -1, count: dy.count)
    var dx = [Float](repeating: .nan, count: x.count)
    PoolingKernel.maxPoolForward(x, planes: p.planes, height: p.height, width: p.width, kernel: p.kernel,
                                 stride: p.stride, relu: p.relu, output: &y, argmax: &arg)
    PoolingKernel.maxPoolBackward(outputGradient: dy, output: y, argmax: arg, planes: p.planes,
                                  height: p.height, width: p.width, kernel: p.kernel, stride: p.stride,
                                  relu: p.relu, inputGradient: &dx)
    var expectedDx = [Float](repeating: 0, count: x.count)
    var wrong = 0
    for plane in 0..<p.planes {
        for oy in 0..<oh {
            for ox in 0..<ow {
                var best = -Float.infinity, at = 0
                for i in 0..<p.kernel {
                    for j in 0..<p.kernel {
                        let idx = plane * p.height * p.width + (oy * p.stride + i) * p.width + ox * p.stride + j
                        if x[idx] > best { best = x[idx]; at = idx }
                    }
                }
                let o = (plane * oh + oy) * ow + ox
                let expected = p.relu ? max(best, 0) : best
                if y[o] != expected || Int(arg[o]) != at - plane * p.height * p.width { wrong += 1 }
                if !p.relu || best > 0 { expectedDx[at] += dy[o] }
            }
        }
    }
    #expect(wrong == 0)
    #expect(dx == expectedDx)
}
