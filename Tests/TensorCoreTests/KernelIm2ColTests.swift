import TensorCore
import Testing

private let geometries = [
    Im2Col.Geometry(channels: 1, height: 28, width: 28, kernelHeight: 5, kernelWidth: 5),
    Im2Col.Geometry(channels: 3, height: 7, width: 6, kernelHeight: 3, kernelWidth: 2, stride: 1, padding: 1),
    Im2Col.Geometry(channels: 2, height: 9, width: 8, kernelHeight: 3, kernelWidth: 3, stride: 2, padding: 2),
    Im2Col.Geometry(channels: 2, height: 5, width: 5, kernelHeight: 1, kernelWidth: 4, stride: 3, padding: 0),
]

private func random(_ count: Int, seed: UInt64) -> [Float] {
    var g = SeededGenerator(seed: seed)
    return (0..<count).map { _ in g.nextUnitFloat() * 2 - 1 }
}

@Test("unfold matches the definition, zeros in the padding", arguments: geometries)
func unfoldMatchesDefinition(g: Im2Col.Geometry) {
    let x = random(g.channels * g.height * g.width, seed: 1)
    var cols = [Float](repeating: .nan, count: g.columnRows * g.columnCount)
    x.withUnsafeBufferPointer { xp in
        cols.withUnsafeMutableBufferPointer { Im2Col.unfold(xp.baseAddress!, g, into: $0.baseAddress!) }
    }
    var mismatches = 0
    for c in 0..<g.channels {
        for i in 0..<g.kernelHeight {
            for j in 0..<g.kernelWidth {
                for oy in 0..<g.outHeight {
                    for ox in 0..<g.outWidth {
                        let y = oy * g.stride - g.padding + i, xx = ox * g.stride - g.padding + j
                        let inside = y >= 0 && y < g.height && xx >= 0 && xx < g.width
                        let expected = inside ? x[(c * g.height + y) * g.width + xx] : 0
                        let row = (c * g.kernelHeight + i) * g.kernelWidth + j
                        if cols[row * g.columnCount + oy * g.outWidth + ox] != expected { mismatches += 1 }
                    }
                }
            }
        }
    }
    #expect(mismatches == 0)
}

@Test("fold is the adjoint of unfold: ⟨unfold x, y⟩ = ⟨x, fold y⟩", arguments: geometries)
func foldIsAdjoint(g: Im2Col.Geometry) {
    let x = random(g.channels * g.height * g.width, seed: 2)
    let y = random(g.columnRows * g.columnCount, seed: 3)
    var cols = [Float](repeating: 0, count: y.count)
    let offset: Float = 0.5
    var folded = [Float](repeating: offset, count: x.count)
    x.withUnsafeBufferPointer { xp in
        cols.withUnsafeMutableBufferPointer { Im2Col.unfold(xp.baseAddress!, g, into: $0.baseAddress!) }
    }
    y.withUnsafeBufferPointer { yp in
        folded.withUnsafeMutableBufferPointer { Im2Col.fold(yp.baseAddress!, g, into: $0.baseAddress!) }
    }
    let lhs = zip(cols, y).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    // fold accumulates onto the existing contents (offset), so subtract that part.
    let rhs = zip(x, folded).reduce(0.0) { $0 + Double($1.0) * Double($1.1 - offset) }
    #expect(abs(lhs - rhs) < 1e-4 * (abs(lhs) + 1))
}
