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

    @Test func manualLastValueSendsOnlyToTheNewSubscriber() async throws {
        let (deliveries, broadcast) = try await SocketThread.run {
            let context = try Context()
            let xpub = try makeSocket(context, .xpub)
            try xpub.set(.xpubManual(true), .xpubManualLastValue(true))
            let endpoint = InprocName.unique("xpub-last-value")
            try xpub.bind(endpoint)
            var deliveries: [[Bool]] = []  // per round: which subscribers got the cached message
            var subscribers: [Socket] = []
            for round in 0..<2 {
                let subscriber = try makeSocket(context, .sub, timeout: .milliseconds(200))
                try subscriber.connect(endpoint)
                try subscriber.set(.subscribe("model"))
                subscribers.append(subscriber)
                guard let event = try xpub.receive(), event.first == 1 else { break }
                try xpub.set(.subscribe(Array(event.dropFirst())))
                try xpub.send([bytes("model"), bytes("cached-\(round)")])
                deliveries.append(try subscribers.map { try $0.receiveMultipart() != nil })
            }
            try xpub.send([bytes("model"), bytes("live")])
            return (deliveries, try subscribers.map { try $0.receiveMultipart()?.last })
        }
        // After each subscription only the new subscriber received the cached message…
        #expect(deliveries == [[true], [false, true]])
        // …while ordinary sends still reach every subscriber.
        #expect(broadcast == [bytes("live"), bytes("live")])
    }
}
