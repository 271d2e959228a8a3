import SafeTensorsFormat
import TensorCore
import Testing

@Suite struct DropoutTests {
    private let p: Float = 0.3

    private func model(seed: UInt64 = 11) throws -> Sequential {
        try Sequential([Dropout(probability: p, seed: seed)], inputShape: [1000], seed: 0)
    }

    private var input: Tensor { Tensor(shape: [2, 1000], storage: randomValues(2000, seed: 12).map { $0 + 2 }) }

    @Test func trainingZeroesAboutPAndScalesTheRest() throws {
        let y = try model().forward(input, training: true)
        var dropped = 0
        for (out, x) in zip(y.storage, input.storage) {
            if out == 0 { dropped += 1 } else { #expect(abs(out - x / (1 - p)) < 1e-5) }
        }
        let fraction = Float(dropped) / 2000
        #expect(abs(fraction - p) < 0.05)
    }

    @Test func evaluationIsTheIdentity() throws {
        #expect(try model().forward(input, training: false) == input)
    }

    @Test func backwardUsesTheSameMaskAsForward() throws {
        let m = try model()
        let y = try m.forward(input, training: true)
        let dy = Tensor(shape: y.shape, storage: randomValues(2000, seed: 13))
        let dx = try m.backward(dy)
        for i in 0..<2000 {
            // y = x·mask, so dx = dy·mask = dy·y/x.
            #expect(abs(dx.storage[i] - dy.storage[i] * y.storage[i] / input.storage[i]) < 1e-4)
        }
    }

    @Test func masksAreSeeded() throws {
        let a = try model(seed: 5).forward(input, training: true)
        let b = try model(seed: 5).forward(input, training: true)
        let c = try model(seed: 6).forward(input, training: true)
        #expect(a == b)
        #expect(a != c)
    }
}
