import Testing
import ZeroMQ

@Suite struct PollerTests {
    @Test func pollTimesOutWhenNothingIsReady() async throws {
        let timeout = Duration.milliseconds(150)
        let (events, elapsed) = try await SocketThread.run {
            let context = try Context()
            let puller = try makeSocket(context, .pull)
            _ = try bindEphemeral(puller)
            let clock = ContinuousClock()
            let start = clock.now
            let events = try Poller.poll([PollItem(puller, .readable)], timeout: timeout)
            return (events, clock.now - start)
        }
        #expect(events == [[]])
        #expect(elapsed >= timeout)
        #expect(elapsed < .seconds(3))
    }

    @Test func pollReportsWhichSocketIsReadable() async throws {
        let events = try await SocketThread.run {
            let context = try Context()
            let quiet = try makeSocket(context, .pull)
            _ = try bindEphemeral(quiet)
            let busy = try makeSocket(context, .pull)
            let endpoint = InprocName.unique("poll")
            try busy.bind(endpoint)
            let pusher = try makeSocket(context, .push)
            try pusher.connect(endpoint)
            try pusher.send(bytes("ping"))
            return try Poller.poll([PollItem(quiet), PollItem(busy), PollItem(pusher, .writable)], timeout: .seconds(5))
        }
        #expect(events == [[], .readable, .writable])
    }
}
