// Every FedMQ process is asked the same question about memory (does the broker, a trainer,
// the aggregator grow?): the standard `process_resident_memory_bytes` gauge, refreshed from
// /proc at each scrape so it is current without a timer.
import Foundation
import Prometheus

/// Process-level gauges of this process, read at scrape time (Linux `/proc`; elsewhere unset).
struct ProcessGauges: Sendable {
    private let residentMemory: Gauge

    init(registry: PrometheusCollectorRegistry) {
        residentMemory = registry.makeGauge(descriptor: MetricNameDescriptor(
            namespace: "process", metricName: "resident_memory", unitName: "bytes",
            helpText: "Resident set size of this process in bytes."))
    }

    /// Reads the current values; a value that cannot be read leaves its gauge as it was.
    func refresh() {
        if let bytes = Self.residentBytes() { residentMemory.set(Double(bytes)) }
    }

    /// `VmRSS` of this process in bytes, from `/proc/self/statm` (resident pages × page size).
    static func residentBytes() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count >= 2, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
