import ArgumentParser
import Foundation

/// Reads configuration fallbacks from environment variables; malformed values are
/// validation errors naming the variable.
struct Environment {
    private let variables = ProcessInfo.processInfo.environment

    /// The non-empty value of `name`, if set.
    func string(_ name: String) -> String? {
        guard let value = variables[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        return value
    }

    /// The value of `name` parsed as `T`, if set.
    func value<T: LosslessStringConvertible>(_ name: String, as type: T.Type = T.self) throws -> T? {
        guard let text = string(name) else { return nil }
        guard let value = T(text) else { throw ValidationError("\(name) must be a \(T.self), got '\(text)'") }
        return value
    }
}
