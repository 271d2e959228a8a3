import FedMQTrainer
import Testing

/// The trainer's wait before reconnecting to a broker that refused its CURVE key.
@Suite struct ReconnectBackoffTests {
    @Test func waitsDoubleUpToTheMaximumAndResetOnceAdmitted() {
        var backoff = ReconnectBackoff(base: 2, maximum: 60)
        let start = ContinuousClock.now
        let waits = (0..<7).map { _ in backoff.refused(now: start) }
        #expect(waits == [2, 4, 8, 16, 32, 60, 60])
        #expect(backoff.refusals == 7)
        backoff.reset()
        #expect(!backoff.isWaiting)
        let again = backoff.refused(now: start)
        #expect(again == 2)
    }

    @Test func theRetryIsDueOnceAfterTheWait() {
        var backoff = ReconnectBackoff(base: 2)
        let start = ContinuousClock.now
        let beforeAnyRefusal = backoff.takeDue(now: start + .seconds(100))
        #expect(!beforeAnyRefusal, "nothing scheduled before a refusal")
        _ = backoff.refused(now: start)
        #expect(backoff.isWaiting)
        let early = backoff.takeDue(now: start + .seconds(1.9))
        let onTime = backoff.takeDue(now: start + .seconds(2))
        let again = backoff.takeDue(now: start + .seconds(3))
        #expect(!early && onTime && !again && !backoff.isWaiting)
    }
}
