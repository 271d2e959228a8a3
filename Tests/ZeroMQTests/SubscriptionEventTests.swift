import Testing
import ZeroMQ

@Suite struct SubscriptionEventTests {
    @Test func xpubReportsSubscribeAndUnsubscribeEvents() async throws {
        let events = try await SocketThread.run {
            let context = try Context()
            let xpub = try makeSocket(context, .xpub)
            try xpub.set(.xpubVerbose(true))
            let endpoint = InprocName.unique("xpub")
            try xpub.bind(endpoint)
            let subscriber = try makeSocket(context, .sub)
            try subscriber.connect(endpoint)
            try subscriber.set(.subscribe("model"))
            let first = try xpub.receive()
            try subscriber.set(.unsubscribe("model"))
            let second = try xpub.receive()
            return [first, second]
        }
        #expect(events[0] == [1] + bytes("model"))
        #expect(events[1] == [0] + bytes("model"))
    }

    @Test func verboseXpubPassesDuplicateSubscriptions() async throws {
        let events = try await SocketThread.run {
            let context = try Context()
            let xpub = try makeSocket(context, .xpub, timeout: .seconds(2))
            try xpub.set(.xpubVerbose(true))
            let endpoint = InprocName.unique("xpub-verbose")
            try xpub.bind(endpoint)
            var events: [[UInt8]] = []
            var subscribers: [Socket] = []
            for _ in 0..<2 {
                let subscriber = try makeSocket(context, .sub)
                try subscriber.connect(endpoint)
                try subscriber.set(.subscribe(""))
                subscribers.append(subscriber)
                if let event = try xpub.receive() { events.append(event) }
            }
            return events
        }
        #expect(events == [[1], [1]])
    }
}
