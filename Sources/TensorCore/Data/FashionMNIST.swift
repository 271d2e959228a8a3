/// The Fashion-MNIST dataset (Zalando): 28×28 greyscale clothing images in 10 classes,
/// 60 000 for training and 10 000 for testing, stored in the MNIST IDX layout.
public enum FashionMNIST {
    /// Where the Debian package `dataset-fashion-mnist` installs the files.
    public static let defaultDirectory = "/usr/share/datasets/fashion-mnist"

    /// Loads `split` from `directory`. With `normalize`, pixels become
    /// `(p / 255 - 0.2860) / 0.3530`; otherwise they are scaled to [0, 1].
    public static func load(split: DatasetSplit, directory: String = defaultDirectory,
                            normalize: Bool = true) throws(DataError) -> Dataset {
        try Dataset.loadIDX(directory: directory, split: split,
                            normalization: normalize ? .fashionMNIST : .unit, numClasses: 10)
    }
}
