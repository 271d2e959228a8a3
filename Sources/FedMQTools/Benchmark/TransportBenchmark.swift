import FedMQBroker
import FedMQTransport
import Foundation
import Logging
import Synchronization
import ZeroMQ

/// Broker forwarding against raw libzmq, measured by the same code in the same run: messages
/// of one size go from one sender to `receivers` receivers over TCP loopback, either directly
/// (PUSH → PULL, PUB → SUB) or through an in-process `BrokerService` (PUSH → PULL/PUSH → PULL,
/// PUB → XSUB/XPUB → SUB). Prints nothing; figures depend on the machine.
///
/// Flow control: the sender keeps at most `window` messages ahead of the slowest receiver
/// (receivers report every message), and every high-water mark on the path is at least the
/// window, so nothing is dropped and memory stays bounded (window × payload per receiver).
/// The window lets the broker's two hops overlap, as a stream of updates or models would.
/// Each peer has its own ZeroMQ context (its own I/O thread), like separate processes;
/// receivers count bytes without copying them out of libzmq.
public enum TransportBenchmark {
    /// Which channel is measured.
    public enum Pattern: String, Sendable {
        /// The update channel: PUSH → PULL.
        case updates
        /// The model channel: PUB → SUB.
        case models
    }

    /// One measurement: raw and broker delivered throughput for one payload and fan-out.
    public struct Figure: Sendable {
        public var pattern: Pattern
        /// Payload bytes per message.
        public var payloadBytes: Int
        /// Receivers (1 for updates).
        public var receivers: Int
        /// Messages each receiver got per timed pass.
        public var messages: Int
        /// Bytes delivered to all receivers per second without the broker, MB/s (10⁶ B), median of passes.
        public var rawMegabytesPerSecond: Double
        /// The same through the broker.
        public var brokerMegabytesPerSecond: Double
        /// MB delivered per CPU-second of the process (all threads, user + system), without the
        /// broker: meaningful on a busy machine, where wall-clock rates depend on the others.
        public var rawMegabytesPerCPUSecond: Double
        /// The same through the broker. Every hop costs a kernel copy out and in, so two hops
        /// cost about twice one: expect about 50 % of raw with one receiver.
        public var brokerMegabytesPerCPUSecond: Double
        /// Broker as a fraction of raw.
        public var ratio: Double { rawMegabytesPerSecond > 0 ? brokerMegabytesPerSecond / rawMegabytesPerSecond : 0 }
    }

    /// What to measure.
    public struct Plan: Sendable {
        /// Payload sizes in bytes (default: the CNN's update, 1 MB, 16 MB, 64 MB).
        public var payloads = [87_360, 1 << 20, 16 << 20, 64 << 20]
        /// Subscriber counts for the model channel.
        public var subscriberCounts = [1, 8]
        /// Bytes each receiver gets per timed pass (the message count follows, at least 8).
        public var bytesPerReceiver = 256 << 20
        /// Timed passes per figure (median reported).
        public var repetitions = 3
        /// The broker's libzmq I/O threads.
        public var brokerIOThreads = BrokerConfiguration().ioThreads

        public init() {}
    }

    /// Most messages in flight per receiver.
    static let maxWindow = 32
    /// High-water mark set on every socket of the path (broker included). libzmq learns of
    /// the reader's progress only every HWM/2 messages, so a queue reliably holds about half
    /// its mark; four times the window leaves room for stray warm-up messages too.
    static let highWaterMark = 4 * maxWindow

    /// Runs every figure of `plan`: updates for each payload, then models for each payload and
    /// subscriber count.
    public static func run(_ plan: Plan = Plan()) async throws -> [Figure] {
        var configuration = BrokerConfiguration()
        configuration.bindHost = "127.0.0.1"
        configuration.ports = .ephemeral
        configuration.statisticsInterval = .seconds(3600)
        configuration.modelHighWaterMark = highWaterMark
        configuration.updateHighWaterMark = highWaterMark
        configuration.ioThreads = plan.brokerIOThreads
        let broker = try BrokerService(configuration: configuration, logger: Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() })
        let task = Task { try await broker.run() }
        defer { task.cancel() }
        var cases: [(Pattern, Int, Int)] = plan.payloads.map { (.updates, $0, 1) }
        for payload in plan.payloads {
            cases += plan.subscriberCounts.map { (.models, payload, $0) }
        }
        var figures: [Figure] = []
        for (pattern, payload, receivers) in cases {
            let messages = max(8, plan.bytesPerReceiver / payload)
            let route = Route(pattern: pattern, broker: broker.endpoints)
            let flow = TransportFlow(pattern: pattern, payload: payload, receivers: receivers, messages: messages)
            let raw = try await median(plan.repetitions) { try await flow.run(via: nil) }
            let brokered = try await median(plan.repetitions) { try await flow.run(via: route) }
            figures.append(Figure(pattern: pattern, payloadBytes: payload, receivers: receivers, messages: messages,
                                  rawMegabytesPerSecond: raw.megabytesPerSecond,
                                  brokerMegabytesPerSecond: brokered.megabytesPerSecond,
                                  rawMegabytesPerCPUSecond: raw.megabytesPerCPUSecond,
                                  brokerMegabytesPerCPUSecond: brokered.megabytesPerCPUSecond))
        }
        task.cancel()
        try await task.value
        return figures
    }

    /// Where sender and receivers connect when going through the broker.
    struct Route: Sendable {
        var senderEndpoint: String
        var receiverEndpoint: String

        init(pattern: Pattern, broker: BrokerEndpoints) {
            switch pattern {
            case .updates: (senderEndpoint, receiverEndpoint) = (broker.updatesIn, broker.updatesOut)
            case .models: (senderEndpoint, receiverEndpoint) = (broker.modelIn, broker.modelOut)
            }
        }
    }

    /// Median of `repetitions` passes. Each pass is followed by a pause: the broker's PUSH
    /// keeps routing to a receiver that just closed until its I/O thread sees the connection
    /// end, and a message sent there is lost (the next pass would wait for it forever).
    /// (Wall-clock and CPU figures are medians taken separately.)
    private static func median(_ repetitions: Int, _ pass: () async throws -> TransportFlow.Outcome) async throws -> TransportFlow.Outcome {
        var outcomes: [TransportFlow.Outcome] = []
        for _ in 0..<max(1, repetitions) {
            outcomes.append(try await pass())
            try await Task.sleep(for: .milliseconds(300))
        }
        let middle = outcomes.count / 2
        return TransportFlow.Outcome(megabytesPerSecond: outcomes.map(\.megabytesPerSecond).sorted()[middle],
                                     megabytesPerCPUSecond: outcomes.map(\.megabytesPerCPUSecond).sorted()[middle])
    }
}
