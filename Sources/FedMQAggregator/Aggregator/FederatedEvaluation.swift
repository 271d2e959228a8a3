// Federated evaluation at the aggregator (docs/PROTOCOL.md, "Federated evaluation"): when the
// server cannot evaluate (no test set, or a model from --initial-model it cannot run), it asks
// its trainers to evaluate a version on their own data and averages their answers weighted by
// samples. This collects the answers per version and closes a version once every trainer asked
// has answered or its deadline passed. Socket-free; the intake loop sends and receives.

import FedMQProtocol

/// The open federated evaluations and the answers received for each.
public struct FederatedEvaluation: Sendable {
    /// A closed evaluation: the sample-weighted mean over the trainers that answered.
    public struct Result: Sendable, Equatable {
        /// The global version evaluated.
        public var version: UInt64
        /// Sample-weighted mean accuracy in [0, 1].
        public var accuracy: Double
        /// Sample-weighted mean loss.
        public var loss: Double
        /// Samples evaluated over all trainers.
        public var samples: UInt64
        /// Trainers that answered.
        public var trainers: Int
    }

    private struct Pending: Sendable {
        var asked: Int
        var deadline: Double
        var reports: [UInt32: EvaluationReport] = [:]
    }

    /// Seconds a version waits for answers after the requests went out.
    public let timeout: Double
    /// Versions waiting for answers at most (an older one is closed with what it has).
    public let maximumOpen = 16
    private var pending: [UInt64: Pending] = [:]
    private var closedEarly: [Result] = []

    /// - Parameter timeout: seconds to wait for answers to each version's requests.
    public init(timeout: Double) {
        self.timeout = timeout
    }

    /// Versions still waiting for answers.
    public var openVersions: [UInt64] { pending.keys.sorted() }

    /// Starts collecting answers for `version`, asked of `asked` trainers at `now` (seconds);
    /// nothing when none was asked.
    public mutating func open(version: UInt64, asked: Int, now: Double) {
        guard asked > 0, pending[version] == nil else { return }
        if pending.count >= maximumOpen, let oldest = pending.keys.min() {
            closedEarly += [result(oldest)].compactMap { $0 }
            pending[oldest] = nil
        }
        pending[version] = Pending(asked: asked, deadline: now + timeout)
    }

    /// Takes `report` if its version is open and its trainer has not answered yet; false otherwise.
    @discardableResult
    public mutating func record(_ report: EvaluationReport) -> Bool {
        guard pending[report.version] != nil, pending[report.version]?.reports[report.trainerID] == nil else { return false }
        pending[report.version]?.reports[report.trainerID] = report
        return true
    }

    /// Closes the versions every trainer asked has answered, and those past their deadline at
    /// `now`; returns the results of those with at least one answer, oldest version first.
    public mutating func close(now: Double) -> [Result] {
        let done = pending.filter { $0.value.reports.count >= $0.value.asked || now >= $0.value.deadline }.keys.sorted()
        var results = closedEarly
        closedEarly = []
        for version in done {
            if let r = result(version) { results.append(r) }
            pending[version] = nil
        }
        return results
    }

    /// The sample-weighted mean of `version`'s answers, nil without answers.
    private func result(_ version: UInt64) -> Result? {
        guard let reports = pending[version]?.reports.values, !reports.isEmpty else { return nil }
        let samples = reports.reduce(0) { $0 + UInt64($1.samples) }
        let weight = { (r: EvaluationReport) in Double(r.samples) / Double(samples) }
        return Result(version: version, accuracy: reports.reduce(0) { $0 + weight($1) * $1.accuracy },
                      loss: reports.reduce(0) { $0 + weight($1) * $1.loss }, samples: samples, trainers: reports.count)
    }
}
