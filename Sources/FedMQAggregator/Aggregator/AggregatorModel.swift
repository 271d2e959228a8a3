// What the aggregator federates: a Swift architecture (--model), a model read from a
// safetensors file (--initial-model, e.g. a PyTorch state_dict) that the Swift tensor core
// need not be able to run, or both when they agree. Strategies, staleness, robust rules and
// checkpoints only need the layout and the weights; only server-side evaluation needs the
// architecture.
import FedMQProtocol
import SafeTensorsFormat
import TensorCore

/// The model an aggregator starts from: its layout, its version-0 weights, and the Swift
/// architecture that runs it when there is one.
public struct AggregatorModel: Sendable {
    /// Names and shapes of the federated tensors, in broadcast order.
    public let layout: ParameterLayout
    /// Version-0 weights, flat (`layout.count` floats).
    public let weights: [Float]
    /// The Swift architecture with this layout (server-side evaluation is possible), or nil
    /// for a model known only from its file.
    public let architecture: ModelArchitecture?
    /// Tensors of the file converted to F32: name → stored dtype (see `SafeTensorsModel`).
    public let converted: [String: String]

    /// Resolves the aggregator's model:
    /// - no `initialModel`: the architecture `architectureName` (default "cnn") built from `seed`;
    /// - `initialModel` alone: the file's layout (its data order) and weights, no architecture;
    /// - both: the architecture's layout with the file's weights, after checking the file holds
    ///   exactly the architecture's tensors.
    /// - Parameters:
    ///   - architectureName: `--model`, or nil when not given.
    ///   - initialModel: path of `--initial-model`, or nil.
    ///   - seed: initialisation seed when the weights come from the architecture.
    /// - Throws: `ConfigurationError` naming the file's problem or the tensors that disagree.
    public static func resolve(architectureName: String?, initialModel: String?,
                               seed: UInt64) throws(ConfigurationError) -> AggregatorModel {
        var architecture: ModelArchitecture?
        if let name = architectureName ?? (initialModel == nil ? "cnn" : nil) { architecture = try named(name) }
        guard let initialModel else {
            let built = architecture!.build(seed: seed)  // set above when there is no file
            return AggregatorModel(layout: built.layout, weights: built.parameters, architecture: architecture, converted: [:])
        }
        let file: SafeTensorsModel
        do {
            file = try SafeTensorsModel.read(path: initialModel)
        } catch {
            throw ConfigurationError("--initial-model \(initialModel): \(error.message)", code: "initial_model", underlying: error)
        }
        guard let architecture else {
            return AggregatorModel(layout: file.layout, weights: file.weights, architecture: nil, converted: file.converted)
        }
        do {
            let weights = try file.weights(in: architecture.layout)
            return AggregatorModel(layout: architecture.layout, weights: weights, architecture: architecture, converted: file.converted)
        } catch {
            throw ConfigurationError("--initial-model \(initialModel) does not hold the tensors of --model \(architecture.name): \(error.message)",
                                     code: "initial_model_mismatch", underlying: error)
        }
    }

    /// The output size of the architecture's last layer, nil without an architecture.
    public var outputClasses: Int? {
        architecture.map { $0.build(seed: 0).outputShape.reduce(1, *) }
    }

    private static func named(_ name: String) throws(ConfigurationError) -> ModelArchitecture {
        do {
            return try ModelArchitecture.named(name)
        } catch {
            throw ConfigurationError((error as? ModelError)?.message ?? "\(error)", code: "unknown_model", underlying: error)
        }
    }
}
