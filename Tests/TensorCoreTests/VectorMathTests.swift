import TensorCore
import Testing
import VectorKernels

/// Lengths that hit the 32-float body, the 8-float loop and the scalar tail.
private let lengths = [0, 1, 7, 8, 9, 31, 32, 33, 67, 100, 1_027]

private func randomVector(_ count: Int, seed: UInt64) -> [Float] {
    var g = SeededGenerator(seed: seed)
    return (0..<count).map { _ in g.nextUnitFloat() * 4 - 2 }
}

@Test("axpy, axpby, add, scaledCopy and scale match scalar loops", arguments: lengths)
func elementwiseUpdates(count: Int) {
    let x = randomVector(count, seed: 1), y0 = randomVector(count, seed: 2)
    let a: Float = 0.37, b: Float = -1.25

    var y = y0
    VectorMath.axpy(a, x, &y)
    #expect(isClose(y, zip(x, y0).map { $1 + a * $0 }), "axpy")

    y = y0
    VectorMath.axpby(a, x, b, &y)
    #expect(isClose(y, zip(x, y0).map { a * $0 + b * $1 }), "axpby")

    y = y0
    y.withUnsafeMutableBufferPointer { yp in
        x.withUnsafeBufferPointer { xp in
            guard let xb = xp.baseAddress, let yb = yp.baseAddress else { return }
            VectorMath.add(xb, to: yb, count: count)
        }
    }
    #expect(y == zip(x, y0).map { $0 + $1 }, "add")

    y = y0
    y.withUnsafeMutableBufferPointer { yp in
        x.withUnsafeBufferPointer { xp in
            guard let xb = xp.baseAddress, let yb = yp.baseAddress else { return }
            VectorMath.scaledCopy(a, xb, yb, count: count)
        }
    }
    #expect(y == x.map { a * $0 }, "scaledCopy")

    y = y0
    VectorMath.scale(&y, by: b)
    #expect(y == y0.map { b * $0 }, "scale")
}

@Test("fill and copy cover every element", arguments: lengths)
func fillAndCopy(count: Int) {
    let x = randomVector(count, seed: 3)
    var y = [Float](repeating: -1, count: count + 1)
    y.withUnsafeMutableBufferPointer { yp in
        VectorMath.fill(yp.baseAddress!, with: 2.5, count: count)
    }
    #expect(y.prefix(count).allSatisfy { $0 == 2.5 } && y[count] == -1)
    y.withUnsafeMutableBufferPointer { yp in
        x.withUnsafeBufferPointer { xp in
            guard let xb = xp.baseAddress else { return }
            VectorMath.copy(xb, to: yp.baseAddress!, count: count)
        }
    }
    #expect(Array(y.prefix(count)) == x && y[count] == -1)
}

@Test("dot, sumOfSquares, norm and sum match Double loops", arguments: lengths)
func reductions(count: Int) {
    let x = randomVector(count, seed: 4), y = randomVector(count, seed: 5)
    let dot = zip(x, y).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    let squares = x.reduce(0.0) { $0 + Double($1) * Double($1) }
    let sum = x.reduce(0.0) { $0 + Double($1) }
    let magnitude = x.reduce(0.0) { $0 + Double(abs($1)) } + 1
    #expect(abs(Double(VectorMath.dot(x, y)) - dot) < 1e-5 * magnitude * 2)
    #expect(abs(Double(VectorMath.sumOfSquares(x)) - squares) < 1e-5 * squares + 1e-6)
    x.withUnsafeBufferPointer { xp in
        guard let xb = xp.baseAddress else { return }
        #expect(abs(Double(VectorMath.norm(xb, count: count)) - squares.squareRoot()) < 1e-5 * (squares.squareRoot() + 1))
        #expect(abs(Double(VectorMath.sum(xb, count: count)) - sum) < 1e-5 * magnitude)
    }
}

/// Elementwise closeness for results that may be computed with or without a fused multiply-add.
private func isClose(_ a: [Float], _ b: [Float]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= 1e-6 * max(1, abs($1)) }
}
