// A setting that takes one of a closed set of forms, some with arguments (poly:0.5,
// dirichlet:0.5, trimmed:0.1), is parsed once, where the command line or a FEDMQ_* variable
// is read; the configurations carry the typed value. This protocol turns the libraries'
// `init(parsing:)` into argument-parser's `ExpressibleByArgument`, so every such setting gets
// the same help text (its forms) and the same error messages, on a flag and in a variable.
import ArgumentParser
import FedMQProtocol

/// A typed setting read from text by an `init(parsing:)` that explains what is wrong, and
/// written back by `description` (the same text form).
public protocol ParsableSetting: ExpressibleByArgument, CustomStringConvertible {
    /// Parses the text form; a malformed one is a `ConfigurationError` saying what is expected.
    init(parsing text: String) throws(ConfigurationError)
    /// The accepted forms, e.g. `poly:<a≥0>`, listed by `--help`.
    static var forms: [String] { get }
}

extension ParsableSetting {
    /// Argument-parser's entry: `init(parsing:)`, nil when the text does not parse.
    public init?(argument: String) {
        guard let value = try? Self(parsing: argument) else { return nil }
        self = value
    }

    /// The forms, shown by `--help` as "(values: …)" and in the usage error of a bad value.
    public static var allValueStrings: [String] { forms }

    /// The text form of a default value in `--help`.
    public var defaultValueDescription: String { description }
}

extension PartitionScheme: ParsableSetting {}
extension UpdateNormPolicy: ParsableSetting {}
