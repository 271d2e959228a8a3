import Testing
import ZeroMQ

/// `ZMQ_MAXMSGSIZE`: a message over the limit never arrives, libzmq drops the sender's
/// connection (seen as a `disconnected` event), the sender reconnects on its own and its
/// next normal-size message arrives.
@Suite struct MaxMessageSizeTests {
    @Test func oversizeMessageDropsTheConnectionAndTheSenderReconnects() throws {
        let context = try Context()
        let pull = try makeSocket(context, .pull, timeout: .milliseconds(200))
        try pull.set(.maxMessageSize(1000))
        let events = try pull.monitor([.accepted, .disconnected])
        try events.set(.receiveTimeout(.seconds(10)))
        let endpoint = try bindEphemeral(pull)
        let push = try makeSocket(context, .push)
        try push.set(.reconnectInterval(.milliseconds(50)))
        try push.connect(endpoint)
        #expect(try events.receiveEvent()?.kind == .accepted)

        _ = try push.send([[UInt8](repeating: 7, count: 1001)])
        #expect(try events.receiveEvent()?.kind == .disconnected)
        #expect(try pull.receiveMultipart() == nil)
        #expect(try events.receiveEvent()?.kind == .accepted)  // the PUSH reconnected

        _ = try push.send([[UInt8](repeating: 1, count: 1000)])  // exactly the limit
        try pull.set(.receiveTimeout(.seconds(10)))
        #expect(try pull.receiveMultipart() == [[UInt8](repeating: 1, count: 1000)])
        for socket in [push, pull, events] { socket.close(linger: .zero) }
    }
}
