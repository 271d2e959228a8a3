// A model read from a safetensors file, for the aggregator's --initial-model: the file alone
// says which tensors are federated (names, shapes), in which order, and their starting values,
// so a model written by PyTorch (`safetensors.torch.save_file(model.state_dict(), path)`) is
// federated without a Swift description of its architecture.

/// A model taken from a safetensors file: its parameter layout and its weights as one flat
/// Float32 vector.
///
/// The rules (docs/PROTOCOL.md, "A model from a file"):
/// - The layout follows the file's data order (the order of the tensors' bytes; for
///   `safetensors.torch.save_file` with float32 tensors, name order). Trainers learn it from
///   the model broadcast, whose payload lists the tensors in this order.
/// - F32 tensors are taken as stored. F16 and BF16 tensors are widened to F32 exactly, F64
///   tensors rounded to F32; they are listed in `converted`. The federation, its broadcasts
///   and its checkpoints are F32 from then on (loading a checkpoint into a float16 module
///   converts back).
/// - Integer and boolean tensors (batch norm's `num_batches_tracked`) are refused with an
///   error naming the tensor: they are not averaged, so they stay out of the file (the PyTorch
///   helper keeps them local).
/// - A file without tensors, or with a NaN or infinite value, is refused.
public struct SafeTensorsModel: Sendable {
    /// The tensors' names and shapes in the file's data order.
    public let layout: ParameterLayout
    /// Every value, converted to F32, in `layout` order (`layout.count` floats).
    public let weights: [Float]
    /// Tensors stored in another dtype and converted to F32: name → stored dtype ("F16", "BF16", "F64").
    public let converted: [String: String]
    /// The file's `__metadata__` (empty when absent).
    public let metadata: [String: String]

    /// Parses a whole safetensors file held in memory.
    public init(bytes: [UInt8]) throws(SafeTensorsError) {
        let file = try SafeTensors.decode(bytes)
        guard !file.tensors.isEmpty else {
            throw SafeTensorsError(.emptyModel, "the file holds no tensor (only a header)")
        }
        let header = try bytes.withUnsafeBytes { raw in
            Result { () throws(SafeTensorsError) in try SafeTensorsHeader.parse(raw) }
        }.get()
        var weights: [Float] = []
        weights.reserveCapacity(file.tensors.reduce(0) { $0 + $1.tensor.count })
        for named in file.tensors {
            if let index = named.tensor.storage.firstIndex(where: { !$0.isFinite }) {
                throw SafeTensorsError(.nonFiniteValue,
                                       "tensor '\(named.name)' holds \(named.tensor.storage[index]) at index \(index); initial weights must be finite")
            }
            weights.append(contentsOf: named.tensor.storage)
        }
        self.layout = ParameterLayout(file.tensors.map { ParameterSpec(name: $0.name, shape: $0.tensor.shape) })
        self.weights = weights
        self.converted = Dictionary(uniqueKeysWithValues: header.entries.filter { $0.dtype != .f32 }.map { ($0.name, $0.dtype.rawValue) })
        self.metadata = file.metadata
    }

    /// Reads and parses the file at `path`.
    public static func read(path: String) throws(SafeTensorsError) -> SafeTensorsModel {
        try SafeTensorsModel(bytes: try AtomicFile.read(path))
    }

    /// The weights in `other`'s order, when `other` holds exactly this model's tensors (same
    /// names and shapes, any order): e.g. a Swift architecture's layout.
    /// - Throws: `layoutMismatch` listing the tensors missing on either side and the shapes that differ.
    public func weights(in other: ParameterLayout) throws(SafeTensorsError) -> [Float] {
        let problems = differences(from: other)
        guard problems.isEmpty else {
            throw SafeTensorsError(.layoutMismatch, problems.joined(separator: "; "))
        }
        var result: [Float] = []
        result.reserveCapacity(other.count)
        for spec in other.parameters {
            let index = layout.index(of: spec.name)!  // present: differences() found none missing
            let start = layout.offsets[index]
            result.append(contentsOf: weights[start..<start + spec.count])
        }
        return result
    }

    /// What tells this model's tensors apart from `other`'s, one phrase each; empty when they agree.
    public func differences(from other: ParameterLayout) -> [String] {
        let mine = Dictionary(uniqueKeysWithValues: layout.parameters.map { ($0.name, $0.shape) })
        let theirs = Dictionary(uniqueKeysWithValues: other.parameters.map { ($0.name, $0.shape) })
        var problems: [String] = []
        let missing = other.parameters.map(\.name).filter { mine[$0] == nil }
        let extra = layout.parameters.map(\.name).filter { theirs[$0] == nil }
        if !missing.isEmpty { problems.append("not in the file: \(missing.joined(separator: ", "))") }
        if !extra.isEmpty { problems.append("only in the file: \(extra.joined(separator: ", "))") }
        for spec in other.parameters {
            if let shape = mine[spec.name], shape != spec.shape {
                problems.append("'\(spec.name)' is \(shape) in the file, \(spec.shape) in the model")
            }
        }
        return problems
    }
}
