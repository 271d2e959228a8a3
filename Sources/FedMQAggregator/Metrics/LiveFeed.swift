// The live page reads the aggregator's state from HTTP handler threads while the intake thread
// runs. The intake thread hands over a metrics record with every evaluation and a sample of its
// counters and trainer table about once a second (never per update); handlers copy the latest
// snapshot under a lock. Long runs keep a bounded history: when a list is full every other
// entry is dropped, so the plots keep their shape at a coarser resolution.
import Synchronization

/// The aggregator's state for the live page, shared between the intake thread and the server.
public final class LiveFeed: Sendable {
    private struct History {
        var evaluations: [MetricsRecord] = []
        var samples: [MetricsRecord] = []
        var trainers: [TrainerRow] = []
        var runSeconds = 0.0
        var version: UInt64 = 0
        var stopReason: String?
    }

    /// Page title.
    public let title: String
    /// Most evaluation records and most counter samples kept (each list thinned beyond it).
    public let capacity: Int
    private let history = Mutex(History())

    public init(title: String, capacity: Int = 1000) {
        self.title = title
        self.capacity = max(4, capacity)
    }

    /// Adds a metrics record: evaluations (with accuracy or loss) to the evaluation history,
    /// others to the samples.
    public func add(_ record: MetricsRecord) {
        let evaluation = record.testAccuracy != nil || record.testLoss != nil
        history.withLock { h in
            if evaluation { Self.append(record, to: &h.evaluations, capacity: capacity) } else {
                Self.append(record, to: &h.samples, capacity: capacity)
            }
            h.runSeconds = max(h.runSeconds, record.wallTime)
            h.version = max(h.version, record.version)
        }
    }

    /// A counter sample (`record` without evaluation) with the current trainer table.
    public func sample(_ record: MetricsRecord, trainers: [TrainerRow]) {
        add(record)
        history.withLock { $0.trainers = trainers }
    }

    /// Records why the run stopped.
    public func finish(reason: String) {
        history.withLock { $0.stopReason = reason }
    }

    /// The current state (records merged in time order).
    public func snapshot() -> LiveSnapshot {
        history.withLock { h in
            LiveSnapshot(title: title, runSeconds: h.runSeconds, version: h.version, stopReason: h.stopReason,
                         records: (h.evaluations + h.samples).sorted { $0.wallTime < $1.wallTime }, trainers: h.trainers)
        }
    }

    /// Appends, thinning `list` to every other entry (keeping the newest) when it is full.
    /// Only the newest record keeps its staleness histogram (the plots draw the latest one), so
    /// the history and the JSON stay small.
    private static func append(_ record: MetricsRecord, to list: inout [MetricsRecord], capacity: Int) {
        if !list.isEmpty { list[list.count - 1].stalenessHistogram = [] }
        list.append(record)
        guard list.count > capacity else { return }
        let last = list.count - 1
        list = list.indices.filter { $0 % 2 == 0 || $0 == last }.map { list[$0] }
    }
}
