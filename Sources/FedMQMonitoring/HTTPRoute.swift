// One page a MonitoringServer serves besides /metrics (a live page, its data, its script):
// the server knows nothing about what is served, only the path, the type and how to make it.

/// A `GET` route: `body` is called on every request and its bytes are sent with status 200.
public struct HTTPRoute: Sendable {
    /// The exact request path, e.g. `/` or `/data.json` (no patterns, no query matching).
    public let path: String
    /// The `Content-Type` header sent with the body, e.g. `text/html; charset=utf-8`.
    public let contentType: String
    /// Makes the response body (bytes) for one request.
    public let body: @Sendable () async -> [UInt8]

    /// A route at `path` answering with `body()` typed `contentType`.
    public init(path: String, contentType: String, body: @escaping @Sendable () async -> [UInt8]) {
        self.path = path
        self.contentType = contentType
        self.body = body
    }
}
