// What a trainer or an aggregator says when it has waited a while for the broker: the likely
// causes, in the order worth checking, fitted to how far the connection got
// (`ConnectionProgress`). A host name that does not resolve is checked (not guessed) and, when
// it fails, is the only cause given; a TCP connection without a handshake points at a CURVE
// mismatch (one side encrypted, the other plaintext); otherwise the broker being down or
// unreachable is named too, and the caller adds what only it knows (e.g. "the aggregator is
// not running").

/// Likely causes of a silent wait on a broker endpoint, worded for a log line.
public enum WaitCauses {
    /// The likely causes of a wait on `endpoint`, given how far the connection got (nil:
    /// unknown): with the handshake done, only `others`; with TCP up but no handshake, a CURVE
    /// mismatch first; with no connection, only the failed lookup when the host does not
    /// resolve, else the broker down or unreachable and a CURVE mismatch; `others` last.
    /// - Parameters:
    ///   - curve: whether this process is a CURVE client (`--curve-server-key` given).
    ///   - progress: the socket's `ConnectionProgress`, nil if not monitored.
    ///   - others: causes only the caller knows, e.g. "the aggregator is not running".
    ///   - lookup: why the endpoint's host does not resolve, or nil (`EndpointResolution`;
    ///     tests pass a stub).
    public static func of(waitOn endpoint: String, curve: Bool, progress: ConnectionProgress? = nil,
                          others: [String] = [],
                          lookup: (String) -> String? = EndpointResolution.lookupFailure) -> [String] {
        let mismatch = curve
            ? "CURVE mismatch: this process uses CURVE (--curve-server-key) but the broker runs plaintext, or has another public key"
            : "CURVE mismatch: the broker requires CURVE but this process speaks plaintext (give --curve-server-key and --curve-secret-key)"
        if progress?.handshaken == true { return others }
        if progress?.connected == true {
            return ["the TCP connection to \(endpoint) opens but the ZeroMQ handshake never completes: \(mismatch)"] + others
        }
        if let failure = lookup(endpoint) {
            return ["the broker host of \(endpoint) does not resolve (\(failure)): check the host name (--broker or the endpoint option)"]
        }
        return ["the broker is not running or not reachable at \(endpoint)", mismatch] + others
    }

    /// `causes` as one log value: `1) … 2) …`.
    public static func text(_ causes: [String]) -> String {
        causes.enumerated().map { "\($0.offset + 1)) \($0.element)" }.joined(separator: " ")
    }
}
