import ArgumentParser
import FedMQTools
import Foundation

/// The broker and aggregation sections of `fedmq bench`.
extension BenchCommand {
    /// Payload sizes of the broker section, from `--broker-payloads`.
    func payloadSizes() throws -> [Int] {
        guard let text = brokerPayloads else { return TransportBenchmark.Plan().payloads }
        let sizes = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !sizes.isEmpty, sizes.allSatisfy({ ($0 ?? 0) > 0 }) else {
            throw ValidationError("--broker-payloads must be positive byte counts separated by commas, got '\(text)'")
        }
        return sizes.compactMap { $0 }
    }

    func printTransport() async throws {
        var plan = TransportBenchmark.Plan()
        plan.payloads = try payloadSizes()
        plan.bytesPerReceiver = brokerMegabytes << 20
        plan.brokerIOThreads = brokerIoThreads
        print("Broker forwarding vs raw libzmq, TCP loopback, MB/s delivered to all receivers (median of \(plan.repetitions))")
        print("  raw: PUSH→PULL and PUB→SUB direct; broker: the same through PULL/PUSH and XSUB/XPUB (\(plan.brokerIOThreads) I/O threads)")
        print("  MB/CPU-s: MB delivered per CPU-second of the whole process (all threads, user + system)")
        print("  " + pad("channel", 22) + pad("payload", 10) + pad("raw MB/s", 10) + pad("broker", 10) + pad("broker/raw", 12)
              + pad("raw MB/CPU-s", 14) + pad("broker", 10) + "broker/raw")
        for f in try await TransportBenchmark.run(plan) {
            let channel = f.pattern == .updates ? "updates PUSH→PULL" : "models PUB→SUB ×\(f.receivers)"
            print("  " + pad(channel, 22) + pad(bytes(f.payloadBytes), 10) + pad(fixed(f.rawMegabytesPerSecond, 0), 10)
                  + pad(fixed(f.brokerMegabytesPerSecond, 0), 10) + pad(fixed(100 * f.ratio, 0) + " %", 12)
                  + pad(fixed(f.rawMegabytesPerCPUSecond, 0), 14) + pad(fixed(f.brokerMegabytesPerCPUSecond, 0), 10)
                  + fixed(100 * f.brokerMegabytesPerCPUSecond / f.rawMegabytesPerCPUSecond, 0) + " %")
        }
        print("")
    }

    func printAggregation() {
        print("Aggregation, one thread: updates/s and GB/s of update data, beside memcpy of the same bytes")
        print("  " + pad("model", 9) + pad("strategy", 18) + pad("merge upd/s", 13) + pad("GB/s", 7) + pad("% memcpy", 10)
              + pad("+decode upd/s", 15) + pad("GB/s", 7) + pad("% memcpy", 10) + pad("decode GB/s", 13)
              + pad("memcpy GB/s", 13) + "retained")
        for f in AggregationBenchmark.run(repetitions: repetitions) {
            print("  " + pad(bytes(f.updateBytes), 9) + pad(f.mode.rawValue, 18) + pad(fixed(f.mergeUpdatesPerSecond, 0), 13)
                  + pad(fixed(f.mergeGigabytesPerSecond, 2), 7)
                  + pad(fixed(100 * f.mergeGigabytesPerSecond / f.memcpyGigabytesPerSecond, 0) + " %", 10)
                  + pad(fixed(f.intakeUpdatesPerSecond, 0), 15) + pad(fixed(f.intakeGigabytesPerSecond, 2), 7)
                  + pad(fixed(100 * f.intakeGigabytesPerSecond / f.memcpyGigabytesPerSecond, 0) + " %", 10)
                  + pad(fixed(f.decodeGigabytesPerSecond, 2), 13) + pad(fixed(f.memcpyGigabytesPerSecond, 2), 13)
                  + fixed(Double(f.retainedFloats) / Double(f.parameters), 0) + "× model")
        }
        print("")
    }

    private func bytes(_ count: Int) -> String {
        count >= 1 << 20 ? "\(count >> 20) MiB" : "\(fixed(Double(count) / 1000, 0)) kB"
    }
}
