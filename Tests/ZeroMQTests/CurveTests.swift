import Testing
import ZeroMQ

@Suite(.enabled(if: zmqHas("curve"), "libzmq built without CURVE"))
struct CurveTests {
    /// A CURVE server (PULL) and client (PUSH); returns what the server received.
    private func exchange(serverKeyForClient: (CurveKeyPair) -> CurveKey) async throws -> (message: [[UInt8]]?, mechanism: String) {
        let server = try CurveKeyPair.generate()
        let client = try CurveKeyPair.generate()
        let clientView = serverKeyForClient(server)
        return try await SocketThread.run {
            let context = try Context()
            let puller = try makeSocket(context, .pull, timeout: .milliseconds(700))
            try puller.set(.curveServer(true), .curveSecretKey(server.secretKey))
            let endpoint = try bindEphemeral(puller)
            let pusher = try makeSocket(context, .push)
            try pusher.set(.curveServerKey(clientView), .curvePublicKey(client.publicKey), .curveSecretKey(client.secretKey))
            try pusher.connect(endpoint)
            try pusher.send(bytes("secret update"), options: .dontWait)
            // Keep the pusher open (linger 0 would drop the queued message on release).
            return try withExtendedLifetime(pusher) { (try puller.receiveMultipart(), try puller.mechanism()) }
        }
    }

    @Test func handshakeWithRightServerKeyDelivers() async throws {
        let result = try await exchange { $0.publicKey }
        #expect(result.message == [bytes("secret update")])
        #expect(result.mechanism == "CURVE")
    }

    @Test func wrongServerKeyDeliversNothing() async throws {
        let impostor = try CurveKeyPair.generate()
        let result = try await exchange { _ in impostor.publicKey }
        #expect(result.message == nil)
    }

    @Test func publicKeyIsDerivedFromSecretKey() throws {
        let pair = try CurveKeyPair.generate()
        let derived = try CurveKeyPair(secretKey: pair.secretKey)
        #expect(derived.publicKey == pair.publicKey)
        #expect(pair.publicKey != pair.secretKey)
    }

    /// Each client connects anew to a CURVE PULL server on `context` and sends its text;
    /// returns what the server received (in 700 ms of quiet).
    private func deliveries(_ context: Context, server: CurveKeyPair, clients: [(CurveKeyPair, String)]) async throws -> Set<[UInt8]> {
        try await SocketThread.run {
            let puller = try makeSocket(context, .pull, timeout: .milliseconds(700))
            try puller.set(.curveServer(true), .curveSecretKey(server.secretKey))
            let endpoint = try bindEphemeral(puller)
            var pushers: [Socket] = []
            for (client, text) in clients {
                let pusher = try makeSocket(context, .push)
                try pusher.set(.curveServerKey(server.publicKey), .curvePublicKey(client.publicKey), .curveSecretKey(client.secretKey))
                try pusher.connect(endpoint)
                try pusher.send(bytes(text), options: .dontWait)
                pushers.append(pusher)
            }
            var received: Set<[UInt8]> = []
            try withExtendedLifetime(pushers) {
                while let frame = try puller.receive() { received.insert(frame) }
            }
            pushers.forEach { $0.close(linger: .zero) }
            puller.close(linger: .zero)
            return received
        }
    }

    @Test func zapAuthenticatorAdmitsOnlyAllowedKeys() async throws {
        let server = try CurveKeyPair.generate()
        let friend = try CurveKeyPair.generate()
        let stranger = try CurveKeyPair.generate()
        let context = try Context()
        let authenticator = try ZAPAuthenticator(context: context, allowedClientKeys: [friend.publicKey])
        let received = try await deliveries(context, server: server, clients: [(stranger, "from stranger"), (friend, "from friend")])
        await authenticator.stopAsync()
        #expect(received == [bytes("from friend")])
        #expect(authenticator.accepted >= 1)
        #expect(authenticator.refused >= 1)
    }

    /// Replaced key sets (a broker reloading its key files) govern the next handshakes: a key
    /// added is admitted, a key removed is refused.
    @Test func replacedKeysGovernLaterHandshakes() async throws {
        let server = try CurveKeyPair.generate()
        let (old, new) = (try CurveKeyPair.generate(), try CurveKeyPair.generate())
        let context = try Context()
        let authenticator = try ZAPAuthenticator(context: context, allowedClientKeys: [old.publicKey])
        let clients = [(old, "old"), (new, "new")]
        #expect(try await deliveries(context, server: server, clients: clients) == [bytes("old")])
        authenticator.replaceKeys(allowedClientKeys: [new.publicKey])
        #expect(try await deliveries(context, server: server, clients: clients) == [bytes("new")])
        authenticator.replaceKeys(allowedClientKeys: nil)  // encryption only: every key
        #expect(try await deliveries(context, server: server, clients: clients) == [bytes("old"), bytes("new")])
        await authenticator.stopAsync()
    }

    /// A forwarder reading the ZAP User-Id of each message appends the sender's Z85 key, and a
    /// ZAP domain with its own key set admits only those keys.
    @Test func forwardingAppendsTheAuthenticatedKeyAndDomainsHaveTheirOwnKeys() async throws {
        let server = try CurveKeyPair.generate()
        let friend = try CurveKeyPair.generate()
        let other = try CurveKeyPair.generate()
        let context = try Context()
        let authenticator = try ZAPAuthenticator(context: context, allowedClientKeys: nil, domainKeys: ["inner": [other.publicKey]])
        let result = try await SocketThread.run {
            let front = try makeSocket(context, .pull, timeout: .seconds(2))
            try front.set(.curveServer(true), .curveSecretKey(server.secretKey), .zapDomain("outer"))
            let inner = try makeSocket(context, .pull, timeout: .milliseconds(700))
            try inner.set(.curveServer(true), .curveSecretKey(server.secretKey), .zapDomain("inner"))
            let back = try makeSocket(context, .push)
            let sink = try makeSocket(context, .pull, timeout: .seconds(2))
            let sinkEndpoint = try bindEphemeral(sink)
            try back.connect(sinkEndpoint)
            var pushers: [Socket] = []
            for (endpoint, client) in [(try bindEphemeral(front), friend), (try bindEphemeral(inner), friend)] {
                let pusher = try makeSocket(context, .push)
                try pusher.set(.curveServerKey(server.publicKey), .curvePublicKey(client.publicKey), .curveSecretKey(client.secretKey))
                try pusher.connect(endpoint)
                try pusher.send([bytes("a"), bytes("b")], options: .dontWait)
                pushers.append(pusher)
            }
            return try withExtendedLifetime(pushers) {
                let moved = try front.forwardMessage(to: back, appendingProperty: "User-Id")
                return (moved, try sink.receiveMultipart(), try inner.receiveMultipart())
            }
        }
        await authenticator.stopAsync()
        #expect(result.0?.frames == 2 && result.0?.bytes == 2)
        #expect(result.1 == [bytes("a"), bytes("b"), Array(friend.publicKey.z85.utf8)])
        #expect(result.2 == nil)  // "inner" admits only `other`
    }
}
