import ArgumentParser
import FedMQProtocol

/// Runs `body` (filling in and validating a configuration), turning a `ConfigurationError`
/// into argument-parser's `ValidationError`, which is printed with the usage line.
public func validating<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as ConfigurationError {
        throw ValidationError(error.message)
    }
}
