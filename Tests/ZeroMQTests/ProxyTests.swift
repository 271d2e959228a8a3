import Testing
import ZeroMQ

@Suite struct ProxyTests {
    @Test func proxyForwardsUntilTerminated() async throws {
        let context = try Context()
        let frontend = try makeSocket(context, .pull)
        let inbound = InprocName.unique("proxy-in")
        try frontend.bind(inbound)
        let backend = try makeSocket(context, .push)
        let outbound = InprocName.unique("proxy-out")
        try backend.bind(outbound)
        let (commander, control) = try Proxy.controlPair(context: context)
        let proxy = SocketThread(name: "proxy") {
            try? Proxy.run(frontend: frontend, backend: backend, control: control)
        }
        let forwarded = try await SocketThread.run {
            let pusher = try makeSocket(context, .push)
            try pusher.connect(inbound)
            let puller = try makeSocket(context, .pull)
            try puller.connect(outbound)
            try pusher.send([bytes("a"), bytes("b")])
            return try withExtendedLifetime(pusher) { try puller.receiveMultipart() }
        }
        #expect(forwarded == [bytes("a"), bytes("b")])
        #expect(!proxy.isFinished)
        try await SocketThread.run { try Proxy.terminate(via: commander) }
        await proxy.finished()
        #expect(proxy.isFinished)
    }

    @Test func contextShutdownEndsBlockingReceive() async throws {
        let context = try Context()
        let puller = try context.socket(.pull)
        try puller.bind(InprocName.unique("shutdown"))
        async let outcome = SocketThread.run { () -> Int32 in
            do {
                _ = try puller.receiveMultipart()
                return 0
            } catch let error as ZMQError {
                puller.close(linger: .zero)
                return error.code
            }
        }
        try await Task.sleep(for: .milliseconds(50))
        context.shutdown()
        #expect(try await outcome == ZMQError.contextTerminatedCode)
    }
}
