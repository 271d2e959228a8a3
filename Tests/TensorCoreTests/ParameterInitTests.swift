import SafeTensorsFormat
import TensorCore
import Testing

@Suite struct ParameterInitTests {
    private func fanIn(_ spec: ParameterSpec, in layout: ParameterLayout) -> Int {
        // Weight [out, in, ...]: fan-in is in·kh·kw; a bias shares its weight's fan-in.
        let weightName = spec.name.replacingOccurrences(of: ".bias", with: ".weight")
        let weight = layout.parameters[layout.index(of: weightName)!]
        return weight.shape.dropFirst().reduce(1, *)
    }

    @Test(arguments: ["cnn", "mlp"])
    func everyTensorIsUniformWithinPyTorchsBound(_ name: String) throws {
        let model = try ModelArchitecture.named(name).build(seed: 42)
        for (spec, offset) in zip(model.layout.parameters, model.layout.offsets) {
            let values = model.parameters[offset..<(offset + spec.count)].map(Double.init)
            let bound = 1 / Double(fanIn(spec, in: model.layout)).squareRoot()
            #expect(values.allSatisfy { abs($0) <= bound }, "\(spec.name) exceeds ±\(bound)")
            guard spec.count >= 200 else { continue }
            // U(−b, b): mean 0 (sd b/√(3n)), variance b²/3, extremes near ±b.
            let mean = values.reduce(0, +) / Double(values.count)
            let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
            #expect(abs(mean) < 5 * bound / (3 * Double(values.count)).squareRoot(), "\(spec.name) mean \(mean)")
            #expect(abs(variance / (bound * bound / 3) - 1) < 0.15, "\(spec.name) variance \(variance)")
            #expect(values.max()! > 0.95 * bound && values.min()! < -0.95 * bound)
        }
    }

    @Test func sameSeedSameWeightsDifferentSeedDifferent() throws {
        let a = ModelArchitecture.cnn.build(seed: 1).parameters
        #expect(a == ModelArchitecture.cnn.build(seed: 1).parameters)
        #expect(a != ModelArchitecture.cnn.build(seed: 2).parameters)
    }
}
