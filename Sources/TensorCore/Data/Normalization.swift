/// Maps raw 0...255 pixels to `(pixel / 255 - mean) / std`.
public struct Normalization: Sendable, Equatable {
    /// Mean of the pixels after scaling to [0, 1].
    public var mean: Float
    /// Standard deviation of the pixels after scaling to [0, 1].
    public var std: Float

    public init(mean: Float, std: Float) {
        precondition(std > 0, "standard deviation must be positive")
        self.mean = mean
        self.std = std
    }

    /// Fashion-MNIST training-set statistics (mean 0.2860, std 0.3530).
    public static let fashionMNIST = Normalization(mean: 0.2860, std: 0.3530)
    /// MNIST training-set statistics (mean 0.1307, std 0.3081).
    public static let mnist = Normalization(mean: 0.1307, std: 0.3081)
    /// Only scales to [0, 1].
    public static let unit = Normalization(mean: 0, std: 1)

    /// The normalised value of a 0...255 pixel.
    @inlinable public func apply(_ pixel: Float) -> Float {
        (pixel * (1 / 255) - mean) / std
    }
}
