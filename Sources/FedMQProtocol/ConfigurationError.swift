/// A configuration string or value that cannot be used, with a message saying why.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable machine-readable category.
    public let code: String
    /// Human-readable explanation.
    public let message: String
    /// The error this one wraps (a file system, JSON, ZeroMQ or parser error), if any.
    public let underlying: (any Error)?

    public init(_ message: String, code: String = "invalid_configuration", underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String { message }

    /// Equal when code and message are; the underlying error is not compared.
    public static func == (lhs: ConfigurationError, rhs: ConfigurationError) -> Bool { lhs.code == rhs.code && lhs.message == rhs.message }

    /// Splits `name:a,b,…` into the name and its numeric arguments.
    static package func split(_ text: String, what: String) throws(ConfigurationError) -> (String, [Double]) {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let name = parts[0].trimmingCharacters()
        guard parts.count == 2 else { return (name, []) }
        var args: [Double] = []
        for piece in parts[1].split(separator: ",", omittingEmptySubsequences: false) {
            guard let v = Double(piece.trimmingCharacters()), v.isFinite else {
                throw ConfigurationError("\(what) \"\(text)\": \"\(piece)\" is not a finite number")
            }
            args.append(v)
        }
        return (name, args)
    }
}

extension Substring {
    func trimmingCharacters() -> String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
