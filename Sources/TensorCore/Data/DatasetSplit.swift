/// Which half of an MNIST-layout dataset to load.
public enum DatasetSplit: String, Sendable, CaseIterable {
    case train
    case test

    /// File-name prefix in the MNIST layout (`train-…`, `t10k-…`).
    var filePrefix: String { self == .train ? "train" : "t10k" }
}
