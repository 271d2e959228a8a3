/// The decoded contents of a safetensors payload.
public struct SafeTensorsFile: Sendable, Equatable {
    /// Every tensor, converted to Float32, in data-offset order.
    public var tensors: [NamedTensor]
    /// The `__metadata__` string map (empty when absent).
    public var metadata: [String: String]

    public init(tensors: [NamedTensor], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// The tensor called `name`, or nil.
    public func tensor(named name: String) -> Tensor? {
        tensors.first { $0.name == name }?.tensor
    }
}
