import Testing
import ZeroMQ

@Suite struct ErrorTests {
    @Test func unknownTransportCarriesErrno() throws {
        let context = try Context()
        let socket = try context.socket(.push)
        let error = try #require(throws: ZMQError.self) { try socket.connect("bogus://somewhere:1") }
        #expect(error.code == ZMQError.protocolNotSupportedCode)
        #expect(error.operation.contains("bogus://somewhere:1"))
        #expect(!error.message.isEmpty)
    }

    @Test func malformedEndpointIsInvalid() throws {
        let context = try Context()
        let socket = try context.socket(.pull)
        let error = try #require(throws: ZMQError.self) { try socket.bind("tcp://127.0.0.1:notaport") }
        #expect(error.code == ZMQError.invalidArgumentCode)
    }

    @Test func closedSocketRefusesWork() throws {
        let context = try Context()
        let socket = try context.socket(.push)
        socket.close()
        #expect(throws: ZMQError.self) { try socket.send(bytes("x")) }
    }

    @Test func dontWaitReceiveWithNothingPendingIsNil() throws {
        let context = try Context()
        let socket = try context.socket(.pull)
        try socket.bind(InprocName.unique("empty"))
        #expect(try socket.receiveMultipart(options: .dontWait) == nil)
    }

    @Test func optionsRoundTrip() throws {
        let context = try Context()
        let socket = try context.socket(.dealer)
        try socket.set(.sendHighWaterMark(7), .receiveHighWaterMark(9), .routingId(bytes("me")))
        #expect(try socket.sendHighWaterMark() == 7)
        #expect(try socket.receiveHighWaterMark() == 9)
        #expect(try socket.routingId() == bytes("me"))
        #expect(try socket.mechanism() == "NULL")
        #expect(throws: ZMQError.self) { try socket.set(.sendHighWaterMark(-1)) }
    }
}
