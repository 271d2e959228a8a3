/// A request or reply on the control channel (ROUTER/DEALER through the broker).
public enum ControlMessage: Sendable, Equatable {
    /// Trainer asks to join.
    case register(RegisterRequest, sequence: UInt64)
    /// Aggregator assigns an id and shard.
    case registered(Registration)
    /// Trainer `trainerID` is alive.
    case heartbeat(trainerID: UInt32, sequence: UInt64)
    /// Trainer `trainerID` leaves.
    case goodbye(trainerID: UInt32, sequence: UInt64)
    /// Aggregator tells the sender of a heartbeat or goodbye that `trainerID` is not registered;
    /// `sequence` is that request's, so the trainer can tell a reply from before it registered again.
    case unregistered(trainerID: UInt32, sequence: UInt64)
    /// Aggregator tells a trainer what became of one of its updates (accepted or the reason).
    case updateResult(UpdateResult)
    /// Aggregator asks a trainer to evaluate global version `version` on its local data.
    case evaluate(version: UInt64)
    /// Trainer answers an `evaluate` with its loss and accuracy.
    case evaluation(EvaluationReport)
}
