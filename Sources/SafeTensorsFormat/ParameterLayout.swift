/// The name and shape of one parameter tensor, e.g. `conv1.weight` `[10, 1, 5, 5]`.
public struct ParameterSpec: Sendable, Hashable, Codable {
    /// PyTorch state_dict name, e.g. `fc2.bias`.
    public let name: String
    /// Extent of each dimension, outermost first.
    public let shape: [Int]

    public init(name: String, shape: [Int]) {
        self.name = name
        self.shape = shape
    }

    /// Number of scalars.
    public var count: Int { shape.reduce(1, *) }
}

/// The ordered list of a model's parameters and where each sits in the model's flat vector.
///
/// The flat vector concatenates the parameters in this order, each in row-major order:
/// it is what federation averages and what travels on the wire.
public struct ParameterLayout: Sendable, Hashable, Codable {
    /// Parameters in flat-vector order.
    public let parameters: [ParameterSpec]
    /// Start of each parameter in the flat vector, in scalars.
    public let offsets: [Int]
    /// Total number of scalars in the flat vector.
    public let count: Int

    public init(_ parameters: [ParameterSpec]) {
        precondition(Set(parameters.map(\.name)).count == parameters.count, "duplicate parameter names")
        self.parameters = parameters
        var offsets: [Int] = []
        var total = 0
        for p in parameters {
            offsets.append(total)
            total += p.count
        }
        self.offsets = offsets
        self.count = total
    }

    /// The index of parameter `name` in `parameters`, or nil.
    public func index(of name: String) -> Int? {
        parameters.firstIndex { $0.name == name }
    }

    /// A 64-bit FNV-1a hash of every name and shape in order: two layouts with the same
    /// fingerprint flatten identically. Travels in every federation message.
    public var fingerprint: UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for p in parameters {
            let text = p.name + ":" + p.shape.map(String.init).joined(separator: "x") + ";"
            for byte in text.utf8 {
                hash ^= UInt64(byte)
                hash &*= 0x0000_0100_0000_01b3
            }
        }
        return hash
    }
}
