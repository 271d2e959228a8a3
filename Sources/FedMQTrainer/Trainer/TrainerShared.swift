import Synchronization

/// State shared between a `TrainerService` and its trainer thread.
final class TrainerShared: Sendable {
    /// Set on graceful shutdown or cancellation; the thread checks it between batches.
    let stopRequested = Atomic<Bool>(false)
    /// The latest progress snapshot, written by the thread.
    let status = Mutex(TrainerStatus())

    var shouldStop: Bool { stopRequested.load(ordering: .acquiring) }

    func update(_ body: (inout TrainerStatus) -> Void) {
        status.withLock { body(&$0) }
    }
}
