import Synchronization

/// A ZAP (ZeroMQ RFC 27) handler that admits CURVE clients whose public key is in an
/// allowed set and refuses everyone else (status 400). An admitted client's Z85 public key
/// is returned as its User-Id, so a receiving socket can read who sent each message
/// (`zmq_msg_gets(msg, "User-Id")`, see `Socket.forwardMessage(to:options:appendingProperty:)`).
///
/// Sockets can be split by ZAP domain (`SocketOption.zapDomain`): a domain listed in
/// `domainKeys` admits only its own keys; every other domain uses `allowedClientKeys`.
///
/// It binds `inproc://zeromq.zap.01` on the context — at most one authenticator per
/// context — and answers requests on its own `SocketThread`. Sockets of that context with
/// `curveServer(true)` then consult it during the handshake. Non-CURVE mechanisms are
/// refused. Stop it with `stop()` (or shut the context down). The key sets can be replaced
/// while it runs (`replaceKeys`); they are consulted at each handshake, so connections already
/// admitted stay up.
public final class ZAPAuthenticator: Sendable {
    /// The well-known endpoint libzmq sends ZAP requests to.
    public static let endpoint = "inproc://zeromq.zap.01"

    private let allowed: Mutex<Set<CurveKey>?>
    private let domainKeys: Mutex<[String: Set<CurveKey>]>
    private let acceptedCount = Atomic<Int>(0)
    private let refusedCount = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    private let thread = Mutex<SocketThread?>(nil)

    /// Binds the ZAP endpoint on `context` and starts answering on a dedicated thread.
    ///
    /// - Parameters:
    ///   - allowedClientKeys: public keys of clients to admit; nil admits every CURVE client
    ///     (encryption without access control, the key still reported as User-Id).
    ///   - domainKeys: per ZAP domain, the only keys admitted on sockets of that domain.
    public init(context: Context, allowedClientKeys: Set<CurveKey>?, domainKeys: [String: Set<CurveKey>] = [:]) throws(ZMQError) {
        allowed = Mutex(allowedClientKeys)
        self.domainKeys = Mutex(domainKeys)
        let socket = try context.socket(.rep)
        try socket.set(.linger(.zero), .receiveTimeout(.milliseconds(50)))
        try socket.bind(Self.endpoint)
        let worker = SocketThread(name: "zap-authenticator") { [self] in
            self.serve(socket)
        }
        thread.withLock { $0 = worker }
    }

    /// Number of handshakes admitted so far.
    public var accepted: Int { acceptedCount.load(ordering: .relaxed) }
    /// Number of handshakes refused so far.
    public var refused: Int { refusedCount.load(ordering: .relaxed) }

    /// Adds a client public key to the allowed set (no effect when every key is admitted).
    public func allow(_ key: CurveKey) { _ = allowed.withLock { $0?.insert(key) } }
    /// Removes a client public key from the allowed set (existing connections stay up).
    public func revoke(_ key: CurveKey) { _ = allowed.withLock { $0?.remove(key) } }

    /// Replaces both key sets at once (as given to `init`); later handshakes use the new ones.
    public func replaceKeys(allowedClientKeys: Set<CurveKey>?, domainKeys: [String: Set<CurveKey>] = [:]) {
        allowed.withLock { $0 = allowedClientKeys }
        self.domainKeys.withLock { $0 = domainKeys }
    }

    /// Stops answering and waits (at most ~50 ms) for the thread to exit; idempotent.
    /// Blocking: call from a normal thread, not from async code (use `stopAsync()` there).
    public func stop() {
        stopping.store(true, ordering: .relaxed)
        thread.withLock { $0 }?.join()
    }

    /// Async form of `stop()`.
    public func stopAsync() async {
        stopping.store(true, ordering: .relaxed)
        await thread.withLock { $0 }?.finished()
    }

    private func serve(_ socket: Socket) {
        defer { socket.close(linger: .zero) }
        while !stopping.load(ordering: .relaxed) {
            do {
                guard let request = try socket.receiveMultipart() else { continue }
                try socket.send(reply(to: request))
            } catch {
                return  // context terminated or socket failure: stop serving
            }
        }
    }

    /// Builds the reply frames: version, request id, status code, status text, user id, metadata.
    private func reply(to request: [[UInt8]]) -> [[UInt8]] {
        guard request.count >= 6 else {
            refusedCount.add(1, ordering: .relaxed)
            return [Array("1.0".utf8), [], Array("500".utf8), Array("malformed ZAP request".utf8), [], []]
        }
        let requestId = request[1]
        let domain = String(decoding: request[2], as: UTF8.self)
        let mechanism = String(decoding: request[5], as: UTF8.self)
        let key = request.count >= 7 ? try? CurveKey(bytes: request[6]) : nil
        if mechanism == "CURVE", let key, admits(key, domain: domain) {
            acceptedCount.add(1, ordering: .relaxed)
            return [Array("1.0".utf8), requestId, Array("200".utf8), Array("OK".utf8), Array(key.z85.utf8), []]
        }
        refusedCount.add(1, ordering: .relaxed)
        return [Array("1.0".utf8), requestId, Array("400".utf8), Array("client key not allowed".utf8), [], []]
    }

    private func admits(_ key: CurveKey, domain: String) -> Bool {
        if let keys = domainKeys.withLock({ $0[domain] }) { return keys.contains(key) }
        return allowed.withLock { $0?.contains(key) ?? true }
    }
}
