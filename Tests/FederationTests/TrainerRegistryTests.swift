import FedMQAggregator
import Testing

@Test func identitiesKeepTheirIdAndShardAnonymousGetFreshOnes() {
    var registry = TrainerRegistry(shardCount: 3, timeout: 10)
    let a = registry.register(identity: "a", now: 0)
    let b = registry.register(identity: "b", now: 0)
    let c = registry.register(identity: nil, now: 0)
    #expect(Set([a.shardIndex, b.shardIndex, c.shardIndex]) == [0, 1, 2])
    let again = registry.register(identity: "a", now: 1)
    #expect(again.id == a.id && again.shardIndex == a.shardIndex)
    let d = registry.register(identity: nil, now: 1)
    #expect(d.id != c.id && ![a.id, b.id].contains(d.id))
    #expect(registry.liveCount == 4)
}

@Test func silentTrainersExpireAndReturnOnHeartbeat() throws {
    var registry = TrainerRegistry(shardCount: 2, timeout: 10)
    let a = registry.register(identity: "a", now: 0)
    let b = registry.register(identity: "b", now: 0)
    registry.heartbeat(b.id, now: 8)
    #expect(registry.expire(now: 15) == [a.id])
    #expect(!registry.isLive(a.id) && registry.isLive(b.id) && registry.liveCount == 1)
    let returned = registry.heartbeat(a.id, now: 16)
    #expect(returned)
    #expect(registry.isLive(a.id))
    registry.goodbye(b.id)
    #expect(!registry.isLive(b.id) && registry.liveCount == 1)
    let unknown = registry.heartbeat(999, now: 16)
    #expect(!unknown)
}

@Test func sequencesMustIncreaseAndSendersMustBeKnown() throws {
    var registry = TrainerRegistry(shardCount: 1, timeout: 10)
    let a = registry.register(identity: nil, now: 0)
    try registry.accept(sequence: 1, from: a.id, now: 1)
    try registry.accept(sequence: 5, from: a.id, now: 2)
    #expect(expectRejection(.duplicateSequence) { try registry.accept(sequence: 5, from: a.id, now: 3) })
    #expect(expectRejection(.unknownTrainer) { try registry.accept(sequence: 1, from: 42, now: 3) })
    let named = registry.register(identity: "n", now: 4)
    try registry.accept(sequence: 9, from: named.id, now: 4)
    _ = registry.register(identity: "n", now: 5)  // a restarted trainer counts from 1 again
    try registry.accept(sequence: 1, from: named.id, now: 5)
}

@Test func mergeAddsTrainersOnlyTheNewerMembershipKnowsAndNeverReusesTheirIds() throws {
    var checkpointed = TrainerRegistry(shardCount: 3, timeout: 10)
    let a = checkpointed.register(identity: "a", now: 0)
    var membership = checkpointed  // written later: "b" joined after the checkpoint
    try membership.accept(sequence: 5, from: a.id, now: 1)
    let b = membership.register(identity: "b", now: 1)
    checkpointed.merge(membership)
    #expect(checkpointed.records[b.id]?.identity == "b" && checkpointed.records[b.id]?.shardIndex == b.shardIndex)
    #expect(checkpointed.records[a.id]?.lastSequence == 0, "known trainers keep the checkpoint's record")
    #expect(checkpointed.register(identity: "b", now: 2).id == b.id)
    let c = checkpointed.register(identity: "c", now: 2)
    #expect(![a.id, b.id].contains(c.id))
}
