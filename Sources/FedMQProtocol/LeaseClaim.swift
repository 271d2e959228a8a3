/// One broker serves one aggregator: two aggregators on one broker would split the trainers
/// between them (the broker's update and control channels deal messages round-robin) and make
/// the model's version jump back and forth. So an aggregator first claims the broker's
/// aggregator lease, and renews it while it runs; the broker forwards trainers' requests only to
/// the holder and refuses a second claimant (see `LeaseReply`, `LeaseMessage` and
/// docs/PROTOCOL.md, "The aggregator lease").

/// An aggregator's claim (or renewal) of the broker's aggregator lease: who it is, for logs and
/// for the refusal a second aggregator receives.
public struct LeaseClaim: Sendable, Equatable, Codable {
    /// Random per aggregator process: a renewal carries the same instance as the claim.
    public var instance: UInt64
    /// The run the aggregator serves.
    public var runID: UInt64
    /// The aggregator's process id on `host`.
    public var processID: Int32
    /// The aggregator's host name (at most `maxHostBytes` UTF-8 bytes).
    public var host: String

    /// Longest host name carried, in UTF-8 bytes; longer names are refused when decoding.
    public static let maxHostBytes = 255

    public init(instance: UInt64, runID: UInt64, processID: Int32, host: String) {
        self.instance = instance
        self.runID = runID
        self.processID = processID
        self.host = String(decoding: host.utf8.prefix(Self.maxHostBytes), as: UTF8.self)
    }

    /// "instance 1f2e… (run 7, pid 123 on host-a)", for log lines and errors.
    public var summary: String {
        "instance \(String(instance, radix: 16)) (run \(runID), pid \(processID) on \(host))"
    }

    enum CodingKeys: String, CodingKey {
        case instance, runID = "run", processID = "pid", host
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        instance = try container.decode(UInt64.self, forKey: .instance)
        runID = try container.decode(UInt64.self, forKey: .runID)
        processID = try container.decode(Int32.self, forKey: .processID)
        host = try container.decode(String.self, forKey: .host)
        guard host.utf8.count <= Self.maxHostBytes else {
            throw DecodingError.dataCorruptedError(
                forKey: .host, in: container, debugDescription: "host name longer than \(Self.maxHostBytes) bytes")
        }
    }
}
