/// A tensor with its state_dict name, e.g. `conv1.weight` `[10, 1, 5, 5]`.
public struct NamedTensor: Sendable, Equatable {
    /// PyTorch state_dict name; unique within a file.
    public var name: String
    /// The values, row-major.
    public var tensor: Tensor

    public init(name: String, tensor: Tensor) {
        self.name = name
        self.tensor = tensor
    }
}
