/// Why a safetensors payload or file was rejected.
public struct SafeTensorsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of failure, stable for callers to switch on.
    public enum Code: String, Sendable, Equatable {
        /// Fewer bytes than the 8-byte length prefix or the header it announces.
        case truncated
        /// The announced header is longer than `SafeTensors.maxHeaderLength`.
        case headerTooLarge
        /// The header is not valid JSON.
        case invalidJSON
        /// The header is JSON but not an object of tensor entries.
        case invalidHeader
        /// A tensor entry lacks `dtype`, `shape` or `data_offsets`.
        case missingField
        /// A dtype this reader does not know or cannot convert to F32.
        case unknownDType
        /// A shape with a negative, non-integer or overflowing extent.
        case invalidShape
        /// `data_offsets` not two non-negative integers with begin ≤ end inside the data section.
        case offsetsOutOfRange
        /// The byte range does not hold exactly shape × dtype size bytes.
        case sizeMismatch
        /// Two tensors' byte ranges overlap.
        case overlappingData
        /// The same tensor name appears twice.
        case duplicateName
        /// `__metadata__` is not an object of string values.
        case invalidMetadata
        /// A model file's tensor holds NaN or an infinity.
        case nonFiniteValue
        /// A model file holds no tensor.
        case emptyModel
        /// The tensors do not match the expected `ParameterLayout`.
        case layoutMismatch
        /// A file system call failed.
        case io
    }

    public let code: Code
    public let message: String
    /// The error this one wraps (a file system, JSON, ZeroMQ or parser error), if any.
    public let underlying: (any Error)?

    public init(_ code: Code, _ message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String { "safetensors \(code.rawValue): \(message)" }

    /// Equal when code and message are; the underlying error is not compared.
    public static func == (lhs: SafeTensorsError, rhs: SafeTensorsError) -> Bool { lhs.code == rhs.code && lhs.message == rhs.message }
}
