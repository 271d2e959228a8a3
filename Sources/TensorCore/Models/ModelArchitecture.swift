import SafeTensorsFormat

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
    /// Names, shapes and flat offsets of the parameters (computed once).
    public let layout: ParameterLayout
    private let makeLayers: @Sendable () -> [any Layer]

    /// An architecture whose layers are made by `makeLayers` (called on every `build`).
    public init(name: String, summary: String, inputShape: [Int], layers makeLayers: @escaping @Sendable () -> [any Layer]) {
        self.name = name
        self.summary = summary
        self.inputShape = inputShape
        self.makeLayers = makeLayers
        do {
            layout = try Sequential(makeLayers(), inputShape: inputShape, seed: 0).layout
        } catch {
            preconditionFailure("architecture \(name) is inconsistent: \(error)")
        }
    }

    /// A fresh model with PyTorch's default init from `seed`.
    public func build(seed: UInt64) -> Sequential {
        do {
            return try Sequential(makeLayers(), inputShape: inputShape, seed: seed)
        } catch {
            preconditionFailure("architecture \(name) is inconsistent: \(error)")
        }
    }

    /// An architecture from a `ModelDescription` text, e.g. `"conv 10 5, pool 2, relu, flatten, fc 10, log_softmax"`.
    /// - Throws: `ModelError` if the text does not parse or its layers do not fit `inputShape`.
    public init(name: String, description text: String, inputShape: [Int] = [1, 28, 28]) throws {
        let description = try ModelDescription(text)
        _ = try Sequential(description.layers(inputShape: inputShape), inputShape: inputShape, seed: 0)
        self.init(name: name, summary: text, inputShape: inputShape) {
            // Checked above: the same items always fit the same input shape.
            (try? description.layers(inputShape: inputShape)) ?? []
        }
    }

    /// The built-in architecture called `name`, or, when `name` contains a comma, the model it
    /// describes (`ModelDescription` format) on 28×28 greyscale input.
    /// - Throws: `ModelError.unknownArchitecture` listing the valid names.
    public static func named(_ name: String) throws -> ModelArchitecture {
        if let architecture = all.first(where: { $0.name == name }) { return architecture }
        if name.contains(",") { return try ModelArchitecture(name: name, description: name) }
        throw ModelError(.unknownArchitecture,
                         "unknown model '\(name)'; valid models: \(all.map(\.name).joined(separator: ", ")) "
                         + "or a description such as 'flatten, fc 100, relu, fc 10, log_softmax'")
    }

    /// Every built-in architecture.
    public static var all: [ModelArchitecture] { [cnn, mlp] }

    /// PyTorch's MNIST example CNN: conv1(1→10, k5) → max_pool2d(2) → relu → conv2(10→20, k5) →
    /// max_pool2d(2) → relu → flatten → fc1(320→50) → relu → fc2(50→10) → log_softmax.
    /// (Each pool+relu pair runs as one fused `MaxPool2d`; the two commute.) 21,840 parameters.
    public static let cnn = builtIn(
        "cnn", "conv 10 5, pool 2, relu, conv 20 5, pool 2, relu, flatten, fc 50, relu, fc 10, log_softmax")

    /// Multilayer perceptron fc1(784→200) → relu → fc2(200→200) → relu → fc3(200→10) → log_softmax
    /// on the flattened image. 199,210 parameters.
    public static let mlp = builtIn("mlp", "flatten, fc 200, relu, fc 200, relu, fc 10, log_softmax")

    private static func builtIn(_ name: String, _ text: String) -> ModelArchitecture {
        do {
            return try ModelArchitecture(name: name, description: text)
        } catch {
            preconditionFailure("built-in model \(name) is invalid: \(error)")
        }
    }
}
