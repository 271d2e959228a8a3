/// Why a data file or dataset request was rejected.
public struct DataError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of failure, stable for callers to switch on.
    public enum Code: String, Sendable, Equatable {
        /// The file could not be opened or read.
        case io
        /// The gzip stream is corrupt or ends early.
        case corrupt
        /// The file ends before the size its header announces.
        case truncated
        /// The IDX magic number is not the expected one.
        case badMagic
        /// Dimensions or sample shapes that do not fit the data.
        case badDimensions
        /// Images and labels disagree (count, or a label outside `0..<numClasses`).
        case mismatch
        /// A CSV line that is not `label,p0,...,pN` with numeric values.
        case invalidCSV
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "data \(code.rawValue): \(message)" }
}
