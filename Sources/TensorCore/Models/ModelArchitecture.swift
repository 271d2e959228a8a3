/// A named model architecture that federation and the command line pick by name (`"cnn"`, `"mlp"`).
///
/// Every process that builds the same architecture gets the same `layout` (names, shapes,
/// fingerprint); `build(seed:)` gives the same initial weights for the same seed.
public struct ModelArchitecture: Sendable {
    /// Name used on the command line and in messages.
    public let name: String
    /// One-line description.
    public let summary: String
    /// Shape of one input sample, e.g. `[1, 28, 28]`.
    public let inputShape: [Int]
    private let makeLayers: @Sendable () -> [any Layer]

    /// An architecture whose layers are made by `makeLayers` (called on every `build`).
    public init(name: String, summary: String, inputShape: [Int], layers makeLayers: @escaping @Sendable () -> [any Layer]) {
        self.name = name
        self.summary = summary
        self.inputShape = inputShape
        self.makeLayers = makeLayers
    }

    /// A fresh model with PyTorch's default init from `seed`.
    public func build(seed: UInt64) -> Sequential {
        do {
            return try Sequential(makeLayers(), inputShape: inputShape, seed: seed)
        } catch {
            preconditionFailure("architecture \(name) is inconsistent: \(error)")
        }
    }

    /// Names, shapes and flat offsets of the parameters.
    public var layout: ParameterLayout { build(seed: 0).layout }

    /// The architecture called `name`.
    /// - Throws: `ModelError.unknownArchitecture` listing the valid names.
    public static func named(_ name: String) throws -> ModelArchitecture {
        guard let architecture = all.first(where: { $0.name == name }) else {
            throw ModelError(.unknownArchitecture,
                             "unknown model '\(name)'; valid models: \(all.map(\.name).joined(separator: ", "))")
        }
        return architecture
    }

    /// Every built-in architecture.
    public static var all: [ModelArchitecture] { [cnn, mlp] }

    /// PyTorch's MNIST example CNN: conv1(1→10, k5) → max_pool2d(2) → relu → conv2(10→20, k5) →
    /// max_pool2d(2) → relu → flatten → fc1(320→50) → relu → fc2(50→10) → log_softmax.
    /// (Each pool+relu pair runs as one fused `MaxPool2d`; the two commute.) 21,840 parameters.
    public static let cnn = ModelArchitecture(
        name: "cnn", summary: "conv(1→10,k5)-pool-relu-conv(10→20,k5)-pool-relu-fc(320→50)-relu-fc(50→10)",
        inputShape: [1, 28, 28]
    ) {
        [Conv2d("conv1", 1, 10, kernelSize: 5), MaxPool2d(kernelSize: 2, fusedReLU: true),
         Conv2d("conv2", 10, 20, kernelSize: 5), MaxPool2d(kernelSize: 2, fusedReLU: true),
         Flatten(), Linear("fc1", 320, 50), ReLU(), Linear("fc2", 50, 10), LogSoftmax()]
    }

    /// Multilayer perceptron fc1(784→200) → relu → fc2(200→200) → relu → fc3(200→10) → log_softmax
    /// on the flattened image. 199,210 parameters.
    public static let mlp = ModelArchitecture(
        name: "mlp", summary: "fc(784→200)-relu-fc(200→200)-relu-fc(200→10)", inputShape: [1, 28, 28]
    ) {
        [Flatten(), Linear("fc1", 784, 200), ReLU(), Linear("fc2", 200, 200), ReLU(),
         Linear("fc3", 200, 10), LogSoftmax()]
    }
}
