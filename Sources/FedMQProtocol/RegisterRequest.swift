/// JSON payload of `register`: `{"identity":"trainer-3"}` or `{}` for an anonymous replica.
public struct RegisterRequest: Sendable, Codable, Equatable {
    /// Stable name: the same identity always gets the same trainer id and shard. Nil for a
    /// fresh id on every registration.
    public var identity: String?

    public init(identity: String? = nil) { self.identity = identity }
}
