import Testing
import ZeroMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Messaging patterns over real TCP and inproc transports. Blocking calls run on
/// dedicated threads via `SocketThread.run`.
@Suite struct PatternTests {
    @Test func subscriberReceivesOnlyMatchingTopics() async throws {
        let received = try await SocketThread.run {
            let context = try Context()
            let publisher = try makeSocket(context, .pub)
            let endpoint = try bindEphemeral(publisher)
            let subscriber = try makeSocket(context, .sub, timeout: .milliseconds(300))
            try subscriber.set(.subscribe("model"))
            try subscriber.connect(endpoint)
            // PUB drops messages until the subscription has propagated: publish until one arrives.
            var first: [[UInt8]]?
            for _ in 0..<50 where first == nil {
                try publisher.send([bytes("metrics"), bytes("ignored")])
                try publisher.send([bytes("model/v1"), bytes("weights")])
                first = try subscriber.receiveMultipart()
            }
            var all = [first].compactMap { $0 }
            while let more = try subscriber.receiveMultipart() { all.append(more) }
            return all
        }
        #expect(!received.isEmpty)
        #expect(received.allSatisfy { $0 == [bytes("model/v1"), bytes("weights")] })
    }

    @Test func pullFansInFromSeveralPushers() async throws {
        let context = try Context()
        let puller = try makeSocket(context, .pull)
        let endpoint = try bindEphemeral(puller)
        let pusherCount = 3, perPusher = 20
        let pushers = (0..<pusherCount).map { index in
            SocketThread(name: "pusher-\(index)") {
                guard let pusher = try? makeSocket(context, .push) else { return }
                try? pusher.connect(endpoint)
                for n in 0..<perPusher { _ = try? pusher.send([[UInt8(index)], [UInt8(n)]]) }
                pusher.close(linger: .seconds(5))
            }
        }
        let messages = try await SocketThread.run {
            var messages: [[[UInt8]]] = []
            while messages.count < pusherCount * perPusher, let message = try puller.receiveMultipart() {
                messages.append(message)
            }
            return messages
        }
        for pusher in pushers { await pusher.finished() }
        #expect(messages.count == pusherCount * perPusher)
        for index in 0..<pusherCount {
            // Each pusher's messages arrive complete and in its own order.
            let sequence = messages.filter { $0[0] == [UInt8(index)] }.map { $0[1][0] }
            #expect(sequence == (0..<perPusher).map(UInt8.init))
        }
    }

    @Test func multipartMessagesArriveWholeAndUninterleaved() async throws {
        let context = try Context()
        let puller = try makeSocket(context, .pull)
        let endpoint = InprocName.unique("multipart")
        try puller.bind(endpoint)
        let senders = (0..<2).map { index in
            SocketThread(name: "multipart-\(index)") {
                guard let pusher = try? makeSocket(context, .push) else { return }
                try? pusher.connect(endpoint)
                for n in 0..<100 {
                    let frames = (0..<5).map { part in [UInt8(index), UInt8(n), UInt8(part)] }
                    _ = try? pusher.send(frames)
                }
                pusher.close(linger: .seconds(5))
            }
        }
        let messages = try await SocketThread.run {
            var messages: [[[UInt8]]] = []
            while messages.count < 200, let message = try puller.receiveMultipart() { messages.append(message) }
            return messages
        }
        for sender in senders { await sender.finished() }
        #expect(messages.count == 200)
        for message in messages {
            #expect(message.count == 5)
            #expect(message.enumerated().allSatisfy { part, frame in
                frame == [message[0][0], message[0][1], UInt8(part)]
            })
        }
    }

    @Test func sixtyFourMegabyteMessageRoundTrips() async throws {
        let size = 64 << 20
        let payload = patterned(count: size, seed: 0x9E37_79B9_7F4A_7C15)
        let (frames, endpointOK) = try await SocketThread.run {
            let context = try Context()
            let receiver = try makeSocket(context, .pull, timeout: .seconds(20))
            let endpoint = try bindEphemeral(receiver)
            let sender = try makeSocket(context, .push)
            try sender.connect(endpoint)
            try sender.send([bytes("big"), payload])
            let frames = try withExtendedLifetime(sender) { try receiver.receiveMultipart() }
            return (frames, endpoint.hasPrefix("tcp://127.0.0.1:"))
        }
        #expect(endpointOK)
        let received = try #require(frames)
        #expect(received.count == 2)
        #expect(received[0] == bytes("big"))
        #expect(received[1].count == size)
        #expect(sameBytes(received[1], payload))
    }

    @Test func connectResolvesHostNames() async throws {
        let reply = try await SocketThread.run {
            let context = try Context()
            let puller = try makeSocket(context, .pull)
            let endpoint = try bindEphemeral(puller)
            guard let port = endpoint.split(separator: ":").last else { return [UInt8]?.none }
            let pusher = try makeSocket(context, .push)
            try pusher.connect("tcp://localhost:\(port)")
            try pusher.send(bytes("by name"))
            return try withExtendedLifetime(pusher) { try puller.receive() }
        }
        #expect(reply == bytes("by name"))
    }

    @Test func requestReplyThroughRouterAndDealer() async throws {
        let (request, reply) = try await SocketThread.run {
            let context = try Context()
            let router = try makeSocket(context, .router)
            let endpoint = try bindEphemeral(router)
            let dealer = try makeSocket(context, .dealer)
            try dealer.set(.routingId(bytes("trainer-7")))
            try dealer.connect(endpoint)
            try dealer.send([bytes("hello")])
            guard let request = try router.receiveMultipart() else { return ([[UInt8]](), [[UInt8]]?.none) }
            try router.send([request[0], bytes("welcome")])
            return (request, try dealer.receiveMultipart())
        }
        #expect(request == [bytes("trainer-7"), bytes("hello")])
        #expect(reply == [bytes("welcome")])
    }
}

/// Deterministic pseudo-random bytes (splitmix64), filled a word at a time.
func patterned(count: Int, seed: UInt64) -> [UInt8] {
    var state = seed
    return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
        let raw = UnsafeMutableRawBufferPointer(buffer)
        var offset = 0
        while offset < count {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            withUnsafeBytes(of: z) { word in
                let n = min(8, count - offset)
                raw.baseAddress!.advanced(by: offset).copyMemory(from: word.baseAddress!, byteCount: n)
            }
            offset += 8
        }
        initialized = count
    }
}

/// Byte equality via memcmp (fast in debug builds, unlike element-wise `==`).
func sameBytes(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    return a.withUnsafeBytes { x in b.withUnsafeBytes { y in memcmp(x.baseAddress!, y.baseAddress!, a.count) == 0 } }
}

@Suite struct HeldMessageTests {
    @Test func aHeldMessageIsForwardedTwiceWithoutChangeAndReadInPlace() throws {
        let context = try Context(maxSockets: 2048)
        #expect(context.maxSockets == 2048)
        let pull = try makeSocket(context, .pull)
        let push = try makeSocket(context, .push)
        try push.connect(try bindEphemeral(pull))
        let big = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        try push.send([bytes("topic"), big])
        let held = try #require(try pull.receiveHeld())
        #expect(held.frameCount == 2 && held.byteCount == 5 + big.count)
        #expect(held.bytes(ofFrame: 0) == bytes("topic"))
        #expect(held.withBytes(ofFrame: 1) { $0.count == big.count && $0.elementsEqual(big) })
        let out = try makeSocket(context, .pull)
        let relay = try makeSocket(context, .push)
        try relay.connect(try bindEphemeral(out))
        #expect(try relay.send(held) && relay.send(held))
        for _ in 0..<2 { #expect(try out.receiveMultipart() == [bytes("topic"), big]) }
        #expect(try pull.receiveHeld(options: .dontWait) == nil)
    }
}
