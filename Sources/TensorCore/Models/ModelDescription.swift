/// A tiny text format for sequential models, e.g. the default CNN:
///
///     conv 10 5, pool 2, relu, conv 20 5, pool 2, relu, flatten, fc 50, relu, fc 10, log_softmax
///
/// Items (comma-separated, case-insensitive):
/// - `conv OUT K [stride S] [pad P]`: `Conv2d` with OUT channels and a K×K kernel, named conv1, conv2, …;
/// - `fc OUT` (or `linear OUT`): `Linear`, input features inferred, named fc1, fc2, …;
/// - `pool K [stride S]`: max pooling (stride defaults to K); a `pool` directly followed by `relu`
///   runs as one fused layer (same result);
/// - `relu`, `flatten`, `log_softmax`, `dropout P` (seeded per position).
/// Channel and feature counts of each layer's input are inferred from the previous layer's output.
public struct ModelDescription: Sendable, Equatable {
    /// One parsed item.
    public enum Item: Sendable, Equatable {
        case conv(out: Int, kernel: Int, stride: Int, padding: Int)
        case linear(out: Int)
        case pool(kernel: Int, stride: Int, relu: Bool)
        case relu, flatten, logSoftmax
        case dropout(Float)
    }

    /// The items in order (after fusing pool+relu).
    public let items: [Item]

    /// Parses `text`.
    /// - Throws: `ModelError.invalidArgument` naming the offending item.
    public init(_ text: String) throws {
        var items: [Item] = []
        for raw in text.split(separator: ",") {
            let words = raw.split(separator: " ").map { $0.lowercased() }
            let item = try Self.parse(words, raw: String(raw))
            if item == .relu, case let .pool(k, s, false)? = items.last {
                items[items.count - 1] = .pool(kernel: k, stride: s, relu: true)
            } else {
                items.append(item)
            }
        }
        guard !items.isEmpty else { throw ModelError(.invalidArgument, "empty model description") }
        self.items = items
    }

    /// Fresh layers for samples of `inputShape`.
    /// - Throws: `ModelError.shapeMismatch` if an item does not fit its input shape.
    public func layers(inputShape: [Int]) throws -> [any Layer] {
        var shape = inputShape
        var counts = (conv: 0, fc: 0)
        var layers: [any Layer] = []
        for (index, item) in items.enumerated() {
            let layer: any Layer
            switch item {
            case let .conv(out, kernel, stride, padding):
                counts.conv += 1
                guard let channels = shape.first, shape.count == 3 else {
                    throw ModelError(.shapeMismatch, "conv\(counts.conv) needs [C, H, W] input, got \(shape)")
                }
                layer = Conv2d("conv\(counts.conv)", channels, out, kernelSize: kernel, stride: stride, padding: padding)
            case let .linear(out):
                counts.fc += 1
                layer = Linear("fc\(counts.fc)", shape.reduce(1, *), out)
            case let .pool(kernel, stride, relu): layer = MaxPool2d(kernelSize: kernel, stride: stride, fusedReLU: relu)
            case .relu: layer = ReLU()
            case .flatten: layer = Flatten()
            case .logSoftmax: layer = LogSoftmax()
            case let .dropout(p): layer = Dropout(probability: p, seed: 0x5EED_0000 &+ UInt64(index))
            }
            shape = try layer.configure(inputShape: shape)
            layers.append(layer)
        }
        return layers
    }

    private static func parse(_ words: [String], raw: String) throws -> Item {
        func fail() -> ModelError {
            ModelError(.invalidArgument,
                       "cannot read '\(raw.split(separator: " ").joined(separator: " "))': expected conv OUT K [stride S] [pad P], "
                       + "fc OUT, pool K [stride S], relu, flatten, dropout P or log_softmax")
        }
        func int(_ i: Int) throws -> Int {
            guard i < words.count, let v = Int(words[i]), v > 0 else { throw fail() }
            return v
        }
        /// `key value` pairs after position `from`.
        func options(from: Int) throws -> [String: Int] {
            var result: [String: Int] = [:]
            var i = from
            while i < words.count {
                guard ["stride", "pad"].contains(words[i]), i + 1 < words.count, let v = Int(words[i + 1]), v >= 0 else { throw fail() }
                result[words[i]] = v
                i += 2
            }
            return result
        }
        switch words.first {
        case "conv":
            let extra = try options(from: 3)
            guard extra["stride"] != 0 else { throw fail() }
            return .conv(out: try int(1), kernel: try int(2), stride: extra["stride"] ?? 1, padding: extra["pad"] ?? 0)
        case "fc", "linear":
            guard words.count == 2 else { throw fail() }
            return .linear(out: try int(1))
        case "pool", "maxpool", "max_pool2d":
            let kernel = try int(1)
            let extra = try options(from: 2)
            guard extra["pad"] == nil, extra["stride"] != 0 else { throw fail() }
            return .pool(kernel: kernel, stride: extra["stride"] ?? kernel, relu: false)
        case "dropout":
            guard words.count == 2, let p = Float(words[1]), p >= 0, p < 1 else { throw fail() }
            return .dropout(p)
        case "relu" where words.count == 1: return .relu
        case "flatten" where words.count == 1: return .flatten
        case "log_softmax" where words.count == 1, "logsoftmax" where words.count == 1: return .logSoftmax
        default: throw fail()
        }
    }
}
