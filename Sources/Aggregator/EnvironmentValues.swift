import ArgumentParser
import Foundation

/// Typed reads of `FEDMQ_*` environment variables (the fallback for every option).
struct EnvironmentValues {
    private let variables = ProcessInfo.processInfo.environment

    /// The non-empty value of `name`, if set.
    func string(_ name: String) -> String? {
        guard let value = variables[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        return value
    }

    /// `name` parsed as `T`; a malformed value is a validation error naming the variable.
    func value<T: LosslessStringConvertible>(_ name: String, as _: T.Type = T.self) throws -> T? {
        guard let text = string(name) else { return nil }
        guard let value = T(text) else { throw ValidationError("\(name)='\(text)' is not a valid \(T.self)") }
        return value
    }
}
