import FedMQProtocol
import Foundation
import TensorCore

/// Where a trainer's training samples come from.
public enum TrainingDataSource: Sendable, Hashable {
    /// The default dataset (Fashion-MNIST training split) from `directory` (nil: the Debian
    /// package's location), cut into the shard assigned at registration.
    case fashionMNIST(directory: String?)
    /// The trainer's own data, used whole: a directory in the MNIST IDX layout
    /// (`train-images-idx3-ubyte[.gz]`, `train-labels-idx1-ubyte[.gz]`) or a CSV file
    /// (`label,pixel0,…,pixel783` per line).
    case local(path: String)

    /// Parses `--data`: empty or "default" for the default dataset, otherwise a path.
    public init(parsing text: String?) {
        guard let text, !text.isEmpty, text != "default" else {
            self = .fashionMNIST(directory: nil)
            return
        }
        self = .local(path: text)
    }

    /// Whether the registration's shard applies (only to the shared default dataset).
    public var isPartitioned: Bool {
        if case .fashionMNIST = self { return true }
        return false
    }

    func validate() throws(ConfigurationError) {
        guard case .local(let path) = self else { return }
        guard FileManager.default.fileExists(atPath: path) else {
            throw ConfigurationError("data path \(path) does not exist")
        }
    }

    /// Loads the samples (normalised like Fashion-MNIST).
    public func load() throws -> Dataset {
        switch self {
        case .fashionMNIST(let directory):
            return try FashionMNIST.load(split: .train, directory: directory ?? FashionMNIST.defaultDirectory)
        case .local(let path):
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            if isDirectory.boolValue { return try Dataset.loadIDX(directory: path, split: .train) }
            return try Dataset.loadCSV(path: path)
        }
    }
}
