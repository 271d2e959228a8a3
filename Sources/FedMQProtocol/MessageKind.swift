/// The kind of a federation message (header bytes 6–7, little-endian u16).
public enum MessageKind: UInt16, Sendable, Hashable, Codable, CaseIterable {
    /// Aggregator → trainers (topic "model"): whole global weights at `modelVersion`.
    case model = 1
    /// Trainer → aggregator (topic "update"): delta `local − base` trained from `baseVersion`.
    case update = 2
    /// Aggregator → trainers (topic "model"): the run is over; payload empty.
    case stop = 3
    /// Trainer → aggregator (control): ask for a trainer id and shard; payload JSON `RegisterRequest`.
    case register = 4
    /// Aggregator → trainer (control): the reply to `register`; payload JSON `Registration`.
    case registered = 5
    /// Trainer → aggregator (control): still alive; payload empty.
    case heartbeat = 6
    /// Trainer → aggregator (control): leaving; payload empty.
    case goodbye = 7
    /// Aggregator → trainer (control): the reply to a `heartbeat` or `goodbye` whose trainer id
    /// is not registered (e.g. the aggregator restarted without its membership); the trainer
    /// registers again. Header: that trainer id, and the request's sequence number; payload empty.
    case unregistered = 8
    /// Aggregator → trainer (control, unsolicited): the verdict on one of its updates, sent to
    /// the connection the trainer last registered or heartbeated from. Header: trainer id, the
    /// update's sequence number and base version, the aggregator's version; payload JSON
    /// `UpdateResult.Payload`. Trainers that do not know this kind drop it.
    case updateResult = 9
    /// Aggregator → trainer (control, along its route): evaluate global version `modelVersion`
    /// on local data and answer with `evaluation`; payload empty. Trainers that do not know
    /// this kind drop it (the aggregator closes the evaluation with the answers it got).
    case evaluate = 10
    /// Trainer → aggregator (control): loss and accuracy of version `modelVersion` on
    /// `sampleCount` local samples; payload JSON `EvaluationReport.Payload`.
    case evaluation = 11

    /// The topic frame this kind travels with.
    public var topic: String {
        switch self {
        case .model, .stop: "model"
        case .update: "update"
        case .register, .registered, .heartbeat, .goodbye, .unregistered, .updateResult, .evaluate, .evaluation: "control"
        }
    }
}
