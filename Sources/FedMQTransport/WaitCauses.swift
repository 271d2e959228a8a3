// What a trainer or an aggregator says when it has waited a while for the broker: the likely
// causes, in the order worth checking. A host name that does not resolve is checked (not
// guessed) and, when it fails, is the only cause given; otherwise the broker being down or
// unreachable and a CURVE mismatch (one side encrypted, the other plaintext) are named, and
// the caller adds what only it knows (e.g. "the aggregator is not running").

/// Likely causes of a silent wait on a broker endpoint, worded for a log line.
public enum WaitCauses {
    /// The likely causes of a wait on `endpoint`: only the failed lookup when its host does not
    /// resolve; else the broker down or unreachable, a CURVE mismatch, then `others`.
    /// - Parameters:
    ///   - curve: whether this process is a CURVE client (`--curve-server-key` given).
    ///   - others: causes only the caller knows, e.g. "the aggregator is not running".
    ///   - lookup: why the endpoint's host does not resolve, or nil (`EndpointResolution`;
    ///     tests pass a stub).
    public static func of(waitOn endpoint: String, curve: Bool, others: [String] = [],
                          lookup: (String) -> String? = EndpointResolution.lookupFailure) -> [String] {
        if let failure = lookup(endpoint) {
            return ["the broker host of \(endpoint) does not resolve (\(failure)): check the host name (--broker or the endpoint option)"]
        }
        return [
            "the broker is not running or not reachable at \(endpoint)",
            curve
                ? "CURVE mismatch: this process uses CURVE (--curve-server-key) but the broker runs plaintext, or has another public key"
                : "CURVE mismatch: the broker requires CURVE but this process speaks plaintext (give --curve-server-key and --curve-secret-key)",
        ] + others
    }

    /// `causes` as one log value: `1) … 2) …`.
    public static func text(_ causes: [String]) -> String {
        causes.enumerated().map { "\($0.offset + 1)) \($0.element)" }.joined(separator: " ")
    }
}
