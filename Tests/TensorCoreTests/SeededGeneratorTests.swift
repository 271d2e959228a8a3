import TensorCore
import Testing

@Test func sameSeedSameSequence() {
    var a = SeededGenerator(seed: 42), b = SeededGenerator(seed: 42), c = SeededGenerator(seed: 43)
    let sa = (0..<8).map { _ in a.next() }
    #expect(sa == (0..<8).map { _ in b.next() })
    #expect(sa != (0..<8).map { _ in c.next() })
}

@Test func unitFloatsStayInRange() {
    var g = SeededGenerator(seed: 1)
    let xs = (0..<10_000).map { _ in g.nextUnitFloat() }
    #expect(xs.allSatisfy { $0 >= 0 && $0 < 1 })
    let mean = xs.reduce(0, +) / Float(xs.count)
    #expect(abs(mean - 0.5) < 0.02)
}
