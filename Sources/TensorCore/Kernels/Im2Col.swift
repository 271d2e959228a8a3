import VectorKernels

/// Unfolding of one image into convolution columns (im2col) and its adjoint (col2im).
///
/// With these, a 2-D convolution of one image is `out[o, :] = W[o, :] · cols` (`Gemm`, `W` viewed
/// as `[outChannels, channels·kh·kw]`), its input gradient is `fold(Wᵀ · dOut)` and its weight
/// gradient `dOut · colsᵀ`.
public enum Im2Col {
    /// Shape of one convolution over one image (NCHW without the batch), in elements.
    public struct Geometry: Sendable, Hashable {
        public var channels: Int, height: Int, width: Int
        public var kernelHeight: Int, kernelWidth: Int
        public var stride: Int, padding: Int

        public init(channels: Int, height: Int, width: Int, kernelHeight: Int, kernelWidth: Int,
                    stride: Int = 1, padding: Int = 0) {
            precondition(channels > 0 && height > 0 && width > 0 && kernelHeight > 0 && kernelWidth > 0,
                         "Im2Col.Geometry: extents must be positive")
            precondition(stride > 0 && padding >= 0, "Im2Col.Geometry: stride must be positive, padding ≥ 0")
            self.channels = channels
            self.height = height
            self.width = width
            self.kernelHeight = kernelHeight
            self.kernelWidth = kernelWidth
            self.stride = stride
            self.padding = padding
        }

        /// Output rows: `(height + 2·padding − kernelHeight) / stride + 1`.
        public var outHeight: Int { (height + 2 * padding - kernelHeight) / stride + 1 }
        /// Output columns: `(width + 2·padding − kernelWidth) / stride + 1`.
        public var outWidth: Int { (width + 2 * padding - kernelWidth) / stride + 1 }
        /// Rows of the column matrix: `channels · kernelHeight · kernelWidth`.
        public var columnRows: Int { channels * kernelHeight * kernelWidth }
        /// Columns of the column matrix (output positions): `outHeight · outWidth`.
        public var columnCount: Int { outHeight * outWidth }
    }

    /// `cols[(c·kh + i)·kw + j, oy·ow + ox] = x[c, oy·stride − padding + i, ox·stride − padding + j]`,
    /// zero where that falls in the padding.
    ///
    /// - Parameters:
    ///   - x: one image, `[channels, height, width]` contiguous.
    ///   - cols: `[columnRows, columnCount]` contiguous; fully overwritten.
    public static func unfold(_ x: UnsafePointer<Float>, _ g: Geometry, into cols: UnsafeMutablePointer<Float>) {
        if g.stride == 1 && g.padding == 0 {
            forEachValidRow(g) { src, dst, width in copy(x + src, to: cols + dst, count: width) }
            return
        }
        forEachRow(g) { src, dstRow, valid in
            let dst = cols + dstRow
            if let src {
                for ox in 0..<valid.lowerBound { dst[ox] = 0 }
                if g.stride == 1 {
                    copy(x + src + valid.lowerBound, to: dst + valid.lowerBound, count: valid.count)
                } else {
                    for ox in valid { dst[ox] = x[src + ox * g.stride] }
                }
                for ox in valid.upperBound..<g.outWidth { dst[ox] = 0 }
            } else {
                for ox in 0..<g.outWidth { dst[ox] = 0 }
            }
        }
    }

    /// The adjoint of `unfold`: adds every column entry back onto the input element it was read
    /// from, `dx[c, y, x] += Σ cols[...]` (padding entries are dropped).
    ///
    /// - Parameters:
    ///   - cols: `[columnRows, columnCount]` contiguous.
    ///   - dx: `[channels, height, width]` contiguous; accumulated into (zero it first to overwrite).
    public static func fold(_ cols: UnsafePointer<Float>, _ g: Geometry, into dx: UnsafeMutablePointer<Float>) {
        if g.stride == 1 && g.padding == 0 {
            forEachValidRow(g) { src, dst, width in add(cols + dst, to: dx + src, count: width) }
            return
        }
        forEachRow(g) { src, dstRow, valid in
            guard let src, !valid.isEmpty else { return }
            let from = cols + dstRow
            if g.stride == 1 {
                add(from + valid.lowerBound, to: dx + src + valid.lowerBound, count: valid.count)
            } else {
                for ox in valid { dx[src + ox * g.stride] += from[ox] }
            }
        }
    }

    /// The unpadded, unit-stride case of `forEachRow`: every row segment is `outWidth` long and
    /// inside the image; `body(source, destination, outWidth)` with both offsets.
    @inline(__always)
    private static func forEachValidRow(_ g: Geometry, _ body: (Int, Int, Int) -> Void) {
        let oh = g.outHeight, ow = g.outWidth
        var dst = 0
        for c in 0..<g.channels {
            for i in 0..<g.kernelHeight {
                for j in 0..<g.kernelWidth {
                    var src = (c * g.height + i) * g.width + j
                    for _ in 0..<oh {
                        body(src, dst, ow)
                        src += g.width
                        dst += ow
                    }
                }
            }
        }
    }

    /// Calls `body(source, destination, valid)` for each output row `oy` of each column-matrix row:
    /// `source` is the offset in the image such that output column `ox` reads `source + ox·stride`
    /// (nil when the whole row lies in the padding), `destination` the offset of that row segment
    /// in the column matrix, and `valid` the range of `ox` that reads inside the image.
    @inline(__always)
    private static func forEachRow(_ g: Geometry, _ body: (Int?, Int, Range<Int>) -> Void) {
        let oh = g.outHeight, ow = g.outWidth
        for c in 0..<g.channels {
            for i in 0..<g.kernelHeight {
                for j in 0..<g.kernelWidth {
                    let row = ((c * g.kernelHeight + i) * g.kernelWidth + j) * oh * ow
                    // ox is valid when 0 ≤ ox·stride − padding + j < width.
                    let first = min(ow, max(0, (g.padding - j + g.stride - 1) / g.stride))
                    let end = max(first, min(ow, (g.width + g.padding - j + g.stride - 1) / g.stride))
                    for oy in 0..<oh {
                        let y = oy * g.stride - g.padding + i
                        let source = (0..<g.height).contains(y) ? (c * g.height + y) * g.width + j - g.padding : nil
                        body(source, row + oy * ow, first..<end)
                    }
                }
            }
        }
    }

    // Rows are short (8–32 floats), so inline SIMD loops beat calls to memmove or VectorMath.

    @inline(__always)
    private static func copy(_ src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 8 <= count {
            SIMDMemory.store8(SIMDMemory.load8(src + i), dst + i)
            i += 8
        }
        while i < count {
            dst[i] = src[i]
            i += 1
        }
    }

    @inline(__always)
    private static func add(_ src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 8 <= count {
            SIMDMemory.store8(SIMDMemory.load8(dst + i) + SIMDMemory.load8(src + i), dst + i)
            i += 8
        }
        while i < count {
            dst[i] += src[i]
            i += 1
        }
    }
}
