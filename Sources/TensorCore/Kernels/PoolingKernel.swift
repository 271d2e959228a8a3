/// 2-D max pooling over raw NCHW buffers, optionally fused with a following ReLU
/// (`relu(maxpool(x))`, the default CNN's order; the two commute).
///
/// Shapes: input `[planes, height, width]` where `planes = batch · channels`; output
/// `[planes, outHeight, outWidth]` with `outHeight = (height − kernel) / stride + 1` (no padding,
/// floor mode, like PyTorch's defaults); `argmax` has the output's shape and holds, for each output,
/// the offset within its input plane of the maximum (first one on ties, as PyTorch).
public enum PoolingKernel {
    /// Output extent of one spatial dimension.
    public static func outputExtent(_ extent: Int, kernel: Int, stride: Int) -> Int {
        (extent - kernel) / stride + 1
    }

    /// `output = max over each window (then max(·, 0) when relu)`, recording `argmax`.
    public static func maxPoolForward(
        _ input: UnsafePointer<Float>, planes: Int, height: Int, width: Int,
        kernel: Int, stride: Int, relu: Bool,
        output: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>
    ) {
        precondition(kernel > 0 && stride > 0 && kernel <= height && kernel <= width,
                     "maxPool: kernel \(kernel) stride \(stride) do not fit \(height)×\(width)")
        let oh = outputExtent(height, kernel: kernel, stride: stride)
        let ow = outputExtent(width, kernel: kernel, stride: stride)
        let floor: Float = relu ? 0 : -.infinity
        for plane in 0..<planes {
            let x = input + plane * height * width
            let out = output + plane * oh * ow
            let arg = argmax + plane * oh * ow
            for oy in 0..<oh {
                var first = 0
                if kernel == 2 && stride == 2 {
                    first = pool2x2(x + 2 * oy * width, width: width, rowOffset: 2 * oy * width, count: ow,
                                    floor: floor, output: out + oy * ow, argmax: arg + oy * ow)
                }
                for ox in first..<ow {
                    var best = Int32((oy * stride) * width + ox * stride)
                    var bestValue = x[Int(best)]
                    for i in 0..<kernel {
                        let row = (oy * stride + i) * width + ox * stride
                        for j in 0..<kernel where x[row + j] > bestValue {
                            bestValue = x[row + j]
                            best = Int32(row + j)
                        }
                    }
                    out[oy * ow + ox] = max(bestValue, floor)
                    arg[oy * ow + ox] = best
                }
            }
        }
    }

    /// Input gradient of `maxPoolForward`: `inputGradient` (shape of the input) is overwritten with
    /// zeros except at each window's argmax, which receives that output's gradient (summed if
    /// windows overlap). With `relu`, outputs that were clamped to 0 pass no gradient.
    public static func maxPoolBackward(
        outputGradient: UnsafePointer<Float>, output: UnsafePointer<Float>, argmax: UnsafePointer<Int32>,
        planes: Int, height: Int, width: Int, kernel: Int, stride: Int, relu: Bool,
        inputGradient: UnsafeMutablePointer<Float>
    ) {
        let oh = outputExtent(height, kernel: kernel, stride: stride)
        let ow = outputExtent(width, kernel: kernel, stride: stride)
        inputGradient.update(repeating: 0, count: planes * height * width)
        for plane in 0..<planes {
            let dx = inputGradient + plane * height * width
            let base = plane * oh * ow
            for o in 0..<(oh * ow) where !relu || output[base + o] > 0 {
                dx[Int(argmax[base + o])] += outputGradient[base + o]
            }
        }
    }

    /// 2×2, stride-2 windows of one output row, 8 at a time: returns how many outputs were written
    /// (a multiple of 8; the caller finishes the row). Ties go to the first of (0,0), (0,1), (1,0), (1,1).
    @inline(never)
    private static func pool2x2(
        _ row: UnsafePointer<Float>, width: Int, rowOffset: Int, count: Int, floor: Float,
        output: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>
    ) -> Int {
        let lane = SIMD8<Int32>(0, 2, 4, 6, 8, 10, 12, 14)
        let w = Int32(width)
        var ox = 0
        while ox + 8 <= count {
            let top = SIMD16<Float>(lowHalf: SIMDMemory.load8(row + 2 * ox), highHalf: SIMDMemory.load8(row + 2 * ox + 8))
            let bottom = SIMD16<Float>(lowHalf: SIMDMemory.load8(row + width + 2 * ox),
                                       highHalf: SIMDMemory.load8(row + width + 2 * ox + 8))
            let (a, b, c, d) = (top.evenHalf, top.oddHalf, bottom.evenHalf, bottom.oddHalf)
            let best = larger(larger(a, b), larger(c, d))
            // The first window position holding the maximum (scan order a, b, c, d).
            var offset = SIMD8<Int32>(repeating: w + 1)
            offset.replace(with: SIMD8(repeating: w), where: c .== best)
            offset.replace(with: SIMD8(repeating: 1), where: b .== best)
            offset.replace(with: SIMD8(repeating: 0), where: a .== best)
            SIMDMemory.store8(best.replacing(with: floor, where: best .< floor), output + ox)
            let index = lane &+ offset &+ SIMD8(repeating: Int32(rowOffset + 2 * ox))
            UnsafeMutableRawPointer(argmax + ox).storeBytes(of: index, as: SIMD8<Int32>.self)
            ox += 8
        }
        return ox
    }

    /// Lane-wise maximum (compiles to `vmaxps`).
    @inline(__always)
    private static func larger(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
        a.replacing(with: b, where: b .> a)
    }
}
