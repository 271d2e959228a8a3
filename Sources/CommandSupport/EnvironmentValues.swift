import ArgumentParser
import Foundation

/// Typed reads of `FEDMQ_*` environment variables: the fallback for every command-line option,
/// so compose files and orchestrators configure the executables without flags.
public struct EnvironmentValues: Sendable {
    private let variables: [String: String]

    /// Reads the process environment, or `variables` when given (tests).
    public init(_ variables: [String: String] = ProcessInfo.processInfo.environment) {
        self.variables = variables
    }

    /// The value of `name` with surrounding blanks removed, if set and non-empty.
    public func string(_ name: String) -> String? {
        guard let value = variables[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        return value
    }

    /// `name` parsed as `T` the way argument-parser parses the matching option (numbers, enums,
    /// `ParsableSetting`s), if set; a malformed value is a validation error naming the variable
    /// and saying what is expected.
    public func value<T: ExpressibleByArgument>(_ name: String, as _: T.Type = T.self) throws -> T? {
        guard let text = string(name) else { return nil }
        if let setting = T.self as? any ParsableSetting.Type {
            do {
                return try setting.init(parsing: text) as? T
            } catch {
                throw ValidationError("\(name)='\(text)': \(error.message)")
            }
        }
        guard let value = T(argument: text) else {
            let valid = T.allValueStrings.isEmpty ? "" : " (valid: \(T.allValueStrings.joined(separator: ", ")))"
            throw ValidationError("\(name)='\(text)' is not a valid \(T.self)\(valid)")
        }
        return value
    }

    /// A value given inline or in a file (secrets mounted by compose): `value`, else the contents
    /// of `file`, else the variable `name`, else the contents of the file named by `name_FILE`.
    /// Surrounding blanks and newlines are removed; a file that cannot be read is a validation
    /// error naming it.
    public func valueOrFile(_ value: String?, file: String?, variable name: String) throws -> String? {
        if let value { return value }
        guard let path = file ?? string(name + "_FILE") else { return string(name) }
        do {
            return try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        } catch {
            throw ValidationError("cannot read \(path) (\(name) as a file): \(error.localizedDescription)")
        }
    }

    /// `name` as an integer, if set; a non-integer is a validation error.
    public func int(_ name: String) throws -> Int? {
        try value(name, as: Int.self)
    }
}
