/// PyTorch's default initialisation of `nn.Linear` and `nn.Conv2d`.
public enum ParameterInit {
    /// The bound `1/√fanIn` shared by PyTorch's default weight init (`kaiming_uniform_(a: √5)`,
    /// i.e. gain `√(1/3)`, bound `√3 · gain / √fanIn`) and its default bias init.
    public static func pytorchBound(fanIn: Int) -> Float { 1 / Float(fanIn).squareRoot() }

    /// Fills `values` from `U(−bound, bound)` in order, drawing from `generator`.
    public static func uniform(_ values: UnsafeMutableBufferPointer<Float>, bound: Float,
                               generator: inout SeededGenerator) {
        for i in values.indices { values[i] = (generator.nextUnitFloat() * 2 - 1) * bound }
    }
}
