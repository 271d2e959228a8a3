import VectorKernels

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
                let (o, a) = (out + oy * ow, arg + oy * ow)
                guard kernel == 2 && stride == 2 else {
                    for ox in 0..<ow {
                        (o[ox], a[ox]) = windowMax(x, width: width, top: oy * stride, left: ox * stride, kernel: kernel)
                        o[ox] = max(o[ox], floor)
                    }
                    continue
                }
                let rowOffset = 2 * oy * width
                let done = pool2x2(x + rowOffset, width: width, rowOffset: rowOffset, count: ow,
                                   floor: floor, output: o, argmax: a)
                for ox in done..<ow {
                    (o[ox], a[ox]) = windowMax2x2(x, width: width, at: rowOffset + 2 * ox)
                    o[ox] = max(o[ox], floor)
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
        let threshold: Float = relu ? 0 : -.infinity
        for plane in 0..<planes {
            let dx = inputGradient + plane * height * width
            let base = plane * oh * ow
            for o in 0..<(oh * ow) {
                // Unconditional (select, not branch): which outputs pass is data-dependent.
                dx[Int(argmax[base + o])] += output[base + o] > threshold ? outputGradient[base + o] : 0
            }
        }
    }

    /// Maximum of the `kernel × kernel` window at (`top`, `left`) and its offset in the plane
    /// (the first one in row-major order on ties).
    @inline(__always)
    private static func windowMax(
        _ x: UnsafePointer<Float>, width: Int, top: Int, left: Int, kernel: Int
    ) -> (Float, Int32) {
        var best = top * width + left
        for i in 0..<kernel {
            let row = (top + i) * width + left
            for j in 0..<kernel where x[row + j] > x[best] { best = row + j }
        }
        return (x[best], Int32(best))
    }

    /// `windowMax` for the 2×2 window whose top-left element is at offset `at`.
    @inline(__always)
    private static func windowMax2x2(_ x: UnsafePointer<Float>, width: Int, at: Int) -> (Float, Int32) {
        var (value, best) = (x[at], at)
        for candidate in [at + 1, at + width, at + width + 1] where x[candidate] > value {
            (value, best) = (x[candidate], candidate)
        }
        return (value, Int32(best))
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
