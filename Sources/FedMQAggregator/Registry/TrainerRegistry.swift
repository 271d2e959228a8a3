import FedMQProtocol

/// Trainer membership: registration (ids and shards), liveness and departure.
///
/// A named identity always gets back its first id and shard; anonymous registrations get a
/// fresh id. New trainers take the shard with the fewest live trainers (lowest index on
/// ties). A trainer silent for `timeout` seconds is expired (no longer counted for sync
/// rounds) and becomes live again when it heartbeats. Time is passed in (monotonic seconds).
public struct TrainerRegistry: Sendable, Codable, Equatable {
    public let shardCount: Int
    /// Seconds without a heartbeat before a trainer expires.
    public let timeout: Double
    public private(set) var records: [UInt32: TrainerRecord] = [:]
    private var nextID: UInt32 = 1

    public init(shardCount: Int, timeout: Double) {
        precondition(shardCount >= 1 && timeout > 0)
        self.shardCount = shardCount
        self.timeout = timeout
    }

    /// Registers (or re-registers) a trainer; returns its record. Re-registering starts a new
    /// sequence (a restarted trainer counts from 1 again).
    /// - Parameter publicKey: the sender's CURVE key (Z85), bound to the record when given.
    public mutating func register(identity: String?, publicKey: String? = nil, now: Double) -> TrainerRecord {
        if let identity, var existing = record(identity: identity) {
            existing.live = true
            existing.lastSeen = now
            existing.lastSequence = 0
            existing.publicKey = publicKey ?? existing.publicKey
            records[existing.id] = existing
            return existing
        }
        let record = TrainerRecord(
            id: nextID, identity: identity, shardIndex: leastLoadedShard(), lastSeen: now, live: true, lastSequence: 0,
            publicKey: publicKey)
        nextID += 1
        records[record.id] = record
        return record
    }

    /// The record of a named identity, if it ever registered.
    public func record(identity: String) -> TrainerRecord? {
        records.values.first { $0.identity == identity }
    }

    /// Marks `id` alive at `now`; false if the id was never registered.
    @discardableResult
    public mutating func heartbeat(_ id: UInt32, now: Double) -> Bool {
        guard records[id] != nil else { return false }
        records[id]!.live = true
        records[id]!.lastSeen = now
        return true
    }

    /// Records sequence `sequence` from `id` (an update or control message). Throws
    /// `unknownTrainer` for an unregistered id and `duplicateSequence` for a replay.
    public mutating func accept(sequence: UInt64, from id: UInt32, now: Double) throws(ProtocolError) {
        guard let record = records[id] else { throw ProtocolError(.unknownTrainer, "trainer id \(id) is not registered") }
        guard sequence > record.lastSequence else {
            throw ProtocolError(.duplicateSequence, "sequence \(sequence) from trainer \(id) not above \(record.lastSequence)")
        }
        records[id]!.lastSequence = sequence
        heartbeat(id, now: now)
    }

    /// Marks `id` as departed.
    public mutating func goodbye(_ id: UInt32) {
        records[id]?.live = false
    }

    /// Expires trainers silent for longer than `timeout`; returns their ids (ascending).
    @discardableResult
    public mutating func expire(now: Double) -> [UInt32] {
        let stale = records.values.filter { $0.live && now - $0.lastSeen > timeout }.map(\.id).sorted()
        for id in stale { records[id]!.live = false }
        return stale
    }

    /// Sets every trainer's last-seen time to `now` (after a restart: times of the previous
    /// process are meaningless, so every known trainer gets a full timeout to reappear).
    public mutating func touchAll(now: Double) {
        for id in records.keys { records[id]!.lastSeen = now }
    }

    /// Adds the trainers of `other` this registry does not know (same ids, identities, shards and
    /// sequences) and never hands out their ids again. Known trainers keep their records here.
    /// Used after a restart: a membership file written after the checkpoint knows trainers the
    /// checkpoint does not.
    public mutating func merge(_ other: TrainerRegistry) {
        for (id, record) in other.records where records[id] == nil { records[id] = record }
        nextID = max(nextID, other.nextID)
    }

    /// Number of live trainers.
    public var liveCount: Int { records.values.reduce(0) { $0 + ($1.live ? 1 : 0) } }

    /// Whether `id` is registered and live.
    public func isLive(_ id: UInt32) -> Bool { records[id]?.live ?? false }

    private func leastLoadedShard() -> Int {
        var load = [Int](repeating: 0, count: shardCount)
        for r in records.values where r.live { load[r.shardIndex] += 1 }
        return load.indices.min { load[$0] < load[$1] || (load[$0] == load[$1] && $0 < $1) }!
    }
}
