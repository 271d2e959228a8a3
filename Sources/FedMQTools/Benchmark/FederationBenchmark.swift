import FedMQAggregator
import FedMQProtocol
import SafeTensorsFormat
import TensorCore

/// Throughput figures of the federation hot paths, for `fedmq bench --federation`.
public enum FederationBenchmark {
    /// CRC-32C over a `megabytes` MiB buffer: GB/s, median of `repetitions` passes.
    public static func crc32c(megabytes: Int = 64, repetitions: Int = 5, portable: Bool = false) -> Double {
        let count = megabytes << 20
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            for i in 0..<count { buffer[i] = UInt8(truncatingIfNeeded: (i &* 2_654_435_761) >> 7) }
            initialized = count
        }
        var sink: UInt32 = 0
        let seconds = median(repetitions) {
            sink ^= portable ? bytes.withUnsafeBytes { ~CRC32C.tableUpdate(0xFFFF_FFFF, $0) } : CRC32C.checksum(bytes)
        }
        precondition(sink != 1 || seconds > 0)  // keep the checksum observable
        return Double(count) / seconds / 1e9
    }

    /// Full intake of one update as the aggregator does it — frame validation, then CRC-32C,
    /// safetensors decode, finite and norm checks in one pass into the reused `IntakeBuffer`,
    /// then FedBuff (K = 10) accumulation — for a model of `parameters` floats.
    /// Returns updates per second and payload MB/s (median of `repetitions` batches of 200).
    public static func updateIntake(parameters: Int, repetitions: Int = 5) -> (updatesPerSecond: Double, megabytesPerSecond: Double) {
        let layout = ParameterLayout([ParameterSpec(name: "w", shape: [parameters])])
        let codec = MessageCodec(layout: layout, runID: 1, payloadCodec: SafeTensorsPayloadCodec(), normPolicy: .clip(to: 1e6))
        var g = SeededGenerator(seed: 1)
        let delta = (0..<parameters).map { _ in g.nextUnitFloat() - 0.5 }
        let frames = codec.update(delta: delta, baseVersion: 0, trainerID: 1, sequence: 1, sampleCount: 32, trainingLoss: 0.5)
        let strategy = FedBuff(model: [Float](repeating: 0, count: parameters), bufferSize: 10,
                               staleness: StalenessPolicy(function: .polynomial(a: 0.5)))
        let batch = 200
        var buffer = IntakeBuffer()
        let seconds = median(repetitions) {
            for _ in 0..<batch {
                guard var update = try? buffer.decode(frames, codec: codec) else { preconditionFailure("benchmark update rejected") }
                update.baseVersion = strategy.version
                _ = try? strategy.submit(update, now: 0)
                buffer.recycle(update, after: strategy)
            }
        } / Double(batch)
        return (1 / seconds, Double(frames[2].count) / seconds / 1e6)
    }

    /// Model broadcast decode speeds, decodes per second (payload MB/s = decodes/s × `payloadBytes` / 10⁶).
    public struct BroadcastDecode: Sendable {
        /// Payload bytes of the broadcast decoded.
        public var payloadBytes: Int
        /// The old path (`UnfusedBroadcastDecoder`): CRC-32C, copy into fresh storage, finite check.
        public var unfused: Double
        /// `MessageCodec.decodeBroadcast(_:)`: the fused pass, into fresh storage each time.
        public var fusedFresh: Double
        /// `MessageCodec.decodeBroadcast(_:reusing:plans:)`: the fused pass into storage kept
        /// from the previous decode (what a trainer that hands the weights back gets).
        public var fusedReused: Double

        /// Payload MB/s at `decodesPerSecond`.
        public func megabytesPerSecond(_ decodesPerSecond: Double) -> Double {
            decodesPerSecond * Double(payloadBytes) / 1e6
        }
    }

    /// Decode of one `model` broadcast of `parameters` floats as a trainer receives it (frame
    /// validation, CRC-32C, safetensors decode, finite check), old and fused paths in the same
    /// run; median of `repetitions` batches of 200 decodes each.
    public static func broadcastDecode(parameters: Int, repetitions: Int = 5) -> BroadcastDecode {
        let layout = ParameterLayout([ParameterSpec(name: "w", shape: [parameters])])
        let codec = MessageCodec(layout: layout, runID: 1, payloadCodec: SafeTensorsPayloadCodec())
        var g = SeededGenerator(seed: 2)
        let frames = codec.model((0..<parameters).map { _ in g.nextUnitFloat() - 0.5 }, version: 3, publishedAt: 1.7e9)
        let batch = 200
        func rate(_ decode: () throws(ProtocolError) -> ModelBroadcast) -> Double {
            let seconds = median(repetitions) {
                for _ in 0..<batch {
                    guard case .model? = try? decode() else { preconditionFailure("benchmark model rejected") }
                }
            }
            return Double(batch) / seconds
        }
        var spare: [Float] = []
        var plans = SafeTensorsPlanCache()
        return BroadcastDecode(
            payloadBytes: frames[2].count,
            unfused: rate { () throws(ProtocolError) in try UnfusedBroadcastDecoder.decode(frames, codec: codec) },
            fusedFresh: rate { () throws(ProtocolError) in try codec.decodeBroadcast(frames) },
            fusedReused: rate { () throws(ProtocolError) in
                let broadcast = try codec.decodeBroadcast(frames, reusing: &spare, plans: &plans)
                if case .model(_, let weights) = broadcast { spare = weights }  // handed back, as a trainer would
                return broadcast  // dropped before the next decode: `spare` is then unshared
            })
    }

    static func median(_ repetitions: Int, _ body: () -> Void) -> Double {
        let clock = ContinuousClock()
        body()  // warm-up
        let times = (0..<max(1, repetitions)).map { _ in
            let d = clock.measure(body)
            return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        }.sorted()
        return times[times.count / 2]
    }
}
