/// One line of the metrics JSON-lines file, written at each evaluation (and at the end).
public struct MetricsRecord: Sendable, Codable, Equatable {
    /// Global model version evaluated.
    public var version: UInt64
    /// Seconds since the aggregator started.
    public var wallTime: Double
    /// Test-set accuracy in [0, 1], if evaluated.
    public var testAccuracy: Double?
    /// Mean test-set cross-entropy, if evaluated.
    public var testLoss: Double?
    /// Updates accepted so far.
    public var updatesAccepted: UInt64
    /// Updates/messages rejected so far, by `RejectionReason.rawValue`.
    public var rejected: [String: UInt64]
    /// Accepted updates whose delta the aggregator clipped to the norm bound (`clip:` policy);
    /// absent in files written before this field existed.
    public var updatesClipped: UInt64?
    /// Mean staleness t − τ of accepted updates so far.
    public var stalenessMean: Double
    /// Accepted updates by staleness: index i counts staleness i (last bucket: ≥ that).
    public var stalenessHistogram: [UInt64]
    /// Payload bytes received / sent so far.
    public var bytesIn: UInt64
    public var bytesOut: UInt64
    /// Live trainers at this point.
    public var liveTrainers: Int
    /// With central DP: ε spent so far at the configured δ (absent otherwise).
    public var privacyEpsilon: Double?
    /// Federated evaluation of `version` (trainers' own data, sample-weighted; see
    /// `FederatedEvaluation`): accuracy, loss, samples and answering trainers; absent otherwise.
    public var federatedAccuracy: Double? = nil
    public var federatedLoss: Double? = nil
    public var federatedSamples: UInt64? = nil
    public var federatedTrainers: Int? = nil

    public init(
        version: UInt64, wallTime: Double, testAccuracy: Double? = nil, testLoss: Double? = nil,
        updatesAccepted: UInt64 = 0, rejected: [String: UInt64] = [:], updatesClipped: UInt64? = nil, stalenessMean: Double = 0,
        stalenessHistogram: [UInt64] = [], bytesIn: UInt64 = 0, bytesOut: UInt64 = 0, liveTrainers: Int = 0,
        privacyEpsilon: Double? = nil
    ) {
        self.version = version
        self.wallTime = wallTime
        self.testAccuracy = testAccuracy
        self.testLoss = testLoss
        self.updatesAccepted = updatesAccepted
        self.rejected = rejected
        self.updatesClipped = updatesClipped
        self.stalenessMean = stalenessMean
        self.stalenessHistogram = stalenessHistogram
        self.bytesIn = bytesIn
        self.bytesOut = bytesOut
        self.liveTrainers = liveTrainers
        self.privacyEpsilon = privacyEpsilon
    }
}
