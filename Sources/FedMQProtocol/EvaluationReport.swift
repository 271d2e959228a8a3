// Federated evaluation: a trainer's answer to the aggregator's `evaluate` request, its loss and
// accuracy of one global version on its own data. The aggregator averages the answers weighted
// by samples, so a run whose server has no test set (or cannot run the model) is still measured.

/// One trainer's evaluation of one global version (kind `evaluation`, trainer → aggregator).
///
/// On the wire (docs/PROTOCOL.md, "Federated evaluation"): the header carries `trainerID`, the
/// trainer's next `sequence`, `modelVersion` = the version evaluated and `sampleCount` = the
/// samples evaluated; the payload is JSON `{"accuracy":0.81,"loss":0.52,"samples":2000}`.
public struct EvaluationReport: Sendable, Equatable {
    /// The reporting trainer.
    public var trainerID: UInt32
    /// The trainer's sequence number for this message.
    public var sequence: UInt64
    /// The global version evaluated.
    public var version: UInt64
    /// Samples evaluated (> 0).
    public var samples: UInt32
    /// Mean loss over those samples (finite).
    public var loss: Double
    /// Fraction classified correctly, in [0, 1].
    public var accuracy: Double

    public init(trainerID: UInt32, sequence: UInt64, version: UInt64, samples: UInt32, loss: Double, accuracy: Double) {
        self.trainerID = trainerID
        self.sequence = sequence
        self.version = version
        self.samples = samples
        self.loss = loss
        self.accuracy = accuracy
    }

    /// The JSON payload.
    struct Payload: Codable {
        var accuracy: Double
        var loss: Double
        var samples: UInt32
    }

    /// Checks what a report may hold: samples > 0 and equal to the header's, a finite loss,
    /// an accuracy in [0, 1].
    func validated(headerSamples: UInt32) throws(ProtocolError) -> EvaluationReport {
        guard samples > 0, samples == headerSamples else {
            throw ProtocolError(.invalidField, "evaluation of \(samples) samples (header: \(headerSamples))")
        }
        guard loss.isFinite, accuracy.isFinite, (0...1).contains(accuracy) else {
            throw ProtocolError(.invalidField, "evaluation with loss \(loss) and accuracy \(accuracy)")
        }
        return self
    }
}
