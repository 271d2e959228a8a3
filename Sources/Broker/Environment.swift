import ArgumentParser
import Foundation

/// Reads configuration fallbacks from environment variables.
struct Environment {
    private let variables = ProcessInfo.processInfo.environment

    /// The non-empty value of `name`, if set.
    func string(_ name: String) -> String? {
        guard let value = variables[name], !value.isEmpty else { return nil }
        return value
    }

    /// The integer value of `name`, if set; a non-integer value is a validation error.
    func int(_ name: String) throws -> Int? {
        guard let text = string(name) else { return nil }
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else {
            throw ValidationError("\(name) must be an integer, got '\(text)'")
        }
        return value
    }
}
