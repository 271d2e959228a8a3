// "Broker not reachable" has a cause that a process can check for itself: the host name of a
// `tcp://host:port` endpoint does not resolve. libzmq retries such a connect silently forever,
// so the wait reports (`WaitReporter`, `WaitCauses`) look the name up with getaddrinfo and
// say so explicitly. This is the only I/O of the wait diagnosis, kept apart from the wording.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Host/port parsing of ZeroMQ TCP endpoints and a name lookup of their host.
public enum EndpointResolution {
    /// The host and port of a `tcp://host:port` endpoint (`tcp://[v6]:port` too; a source
    /// address before `;` is skipped); nil for other transports or a malformed endpoint.
    public static func tcpHostAndPort(of endpoint: String) -> (host: String, port: String)? {
        guard endpoint.hasPrefix("tcp://") else { return nil }
        var address = Substring(endpoint.dropFirst("tcp://".count))
        if let semicolon = address.lastIndex(of: ";") { address = address[address.index(after: semicolon)...] }
        guard let colon = address.lastIndex(of: ":") else { return nil }
        var host = address[..<colon]
        let port = address[address.index(after: colon)...]
        if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        guard !host.isEmpty, !port.isEmpty else { return nil }
        return (String(host), String(port))
    }

    /// Why the host of `endpoint` does not resolve, e.g. `getaddrinfo("no-such-host.invalid")
    /// failed: Name or service not known`; nil when it resolves, is `*`, or the endpoint is not
    /// TCP. Blocks for the lookup (up to the resolver's timeout).
    public static func lookupFailure(of endpoint: String) -> String? {
        guard let (host, _) = tcpHostAndPort(of: endpoint), host != "*" else { return nil }
        var hints = addrinfo()
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &result)
        if let result { freeaddrinfo(result) }
        guard status != 0 else { return nil }
        return "getaddrinfo(\"\(host)\") failed: \(String(cString: gai_strerror(status)))"
    }
}
