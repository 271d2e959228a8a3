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

    @Test func zapAuthenticatorAdmitsOnlyAllowedKeys() async throws {
        let server = try CurveKeyPair.generate()
        let friend = try CurveKeyPair.generate()
        let stranger = try CurveKeyPair.generate()
        let context = try Context()
        let authenticator = try ZAPAuthenticator(context: context, allowedClientKeys: [friend.publicKey])
        let received = try await SocketThread.run {
            let puller = try makeSocket(context, .pull, timeout: .milliseconds(700))
            try puller.set(.curveServer(true), .curveSecretKey(server.secretKey))
            let endpoint = try bindEphemeral(puller)
            var pushers: [Socket] = []
            for (client, text) in [(stranger, "from stranger"), (friend, "from friend")] {
                let pusher = try makeSocket(context, .push)
                try pusher.set(.curveServerKey(server.publicKey), .curvePublicKey(client.publicKey), .curveSecretKey(client.secretKey))
                try pusher.connect(endpoint)
                try pusher.send(bytes(text), options: .dontWait)
                pushers.append(pusher)
            }
            var received: [[UInt8]] = []
            try withExtendedLifetime(pushers) {
                while let frame = try puller.receive() { received.append(frame) }
            }
            return received
        }
        await authenticator.stopAsync()
        #expect(received == [bytes("from friend")])
        #expect(authenticator.accepted >= 1)
        #expect(authenticator.refused >= 1)
    }
}
