import FedMQAggregator
import FedMQProtocol
import SafeTensorsFormat
import TensorCore
import VectorKernels

/// Merging speed of the real strategies beside `memcpy` of the same bytes, for
/// `fedmq bench aggregation`. Prints nothing; figures depend on the machine.
///
/// Bytes are the update's float data (4 × parameters), counted once per merged update; the
/// memcpy reference copies the same number of bytes (each counted once), so the ratio says
/// how close merging comes to the cheapest possible pass over an update. Two paths:
/// `merge` submits an already decoded `ClientUpdate`; `intake` starts from the wire frames as
/// the aggregator does: header checks, then CRC-32C, safetensors decode, finite check and norm
/// in one fused pass into the reused `IntakeBuffer`.
public enum AggregationBenchmark {
    /// The strategies measured, as configured by default in the aggregator but with K = M = 10.
    public enum Mode: String, Sendable, CaseIterable {
        case fedAsync = "FedAsync α 0.6"
        case fedBuff = "FedBuff K 10"
        case syncFedAvg = "SyncFedAvg M 10"
    }

    /// One strategy on one model size.
    public struct Figure: Sendable {
        public var mode: Mode
        /// Floats in the model.
        public var parameters: Int
        /// Updates merged per second from decoded updates (median of passes).
        public var mergeUpdatesPerSecond: Double
        /// Updates per second from wire frames (decode + merge).
        public var intakeUpdatesPerSecond: Double
        /// memcpy of the update's bytes, GB/s (10⁹ bytes), in the same run.
        public var memcpyGigabytesPerSecond: Double
        /// The fused decode alone (frames → validated delta in the reused buffer), GB/s of
        /// update data, in the same run.
        public var decodeGigabytesPerSecond: Double
        /// The strategy's retained floats after the timed passes.
        public var retainedFloats: Int

        /// Update bytes (4 × parameters).
        public var updateBytes: Int { parameters * MemoryLayout<Float>.stride }
        /// Merge throughput in GB/s of update data.
        public var mergeGigabytesPerSecond: Double { mergeUpdatesPerSecond * Double(updateBytes) / 1e9 }
        /// Intake throughput in GB/s of update data.
        public var intakeGigabytesPerSecond: Double { intakeUpdatesPerSecond * Double(updateBytes) / 1e9 }
    }

    /// The default sizes: the CNN (87 KB), 1 MB and 64 MB models.
    public static let defaultParameterCounts = [21_840, 1 << 18, 1 << 24]

    /// Measures every mode on every size; each pass merges about `bytesPerPass` of updates.
    public static func run(parameterCounts: [Int] = defaultParameterCounts, repetitions: Int = 3,
                           bytesPerPass: Int = 256 << 20) -> [Figure] {
        parameterCounts.flatMap { count in
            let updates = max(10, bytesPerPass / (count * MemoryLayout<Float>.stride))
            let setup = Setup(parameters: count)
            let memcpy = setup.memcpyGigabytesPerSecond(repetitions: repetitions, copies: updates)
            let decode = setup.decodeGigabytesPerSecond(repetitions: repetitions, updates: updates)
            return Mode.allCases.map { mode in
                let merge = measure(mode, count: count, updates: updates, repetitions: repetitions) { strategy in
                    _ = setup.submit(setup.update, to: strategy)
                }
                var buffer = IntakeBuffer()
                let intake = measure(mode, count: count, updates: updates, repetitions: repetitions) { strategy in
                    guard let update = try? buffer.decode(setup.frames, codec: setup.codec) else { preconditionFailure("benchmark update rejected") }
                    _ = setup.submit(update, to: strategy)
                    buffer.recycle(update, after: strategy)
                }
                return Figure(mode: mode, parameters: count, mergeUpdatesPerSecond: merge.rate,
                              intakeUpdatesPerSecond: intake.rate, memcpyGigabytesPerSecond: memcpy,
                              decodeGigabytesPerSecond: decode,
                              retainedFloats: merge.retainedFloats)
            }
        }
    }

    /// Updates per second of `submit` on a fresh strategy (released before returning, so the
    /// 64 MB models' histories do not pile up), and the floats it retained afterwards.
    private static func measure(_ mode: Mode, count: Int, updates: Int, repetitions: Int,
                                _ submit: (any AggregationStrategy) -> Void) -> (rate: Double, retainedFloats: Int) {
        let strategy = makeStrategy(mode, count: count)
        let perSecond = rate(updates, repetitions) { submit(strategy) }
        return (perSecond, strategy.retainedFloats)
    }

    /// A fresh strategy of `mode` over a zero model of `count` floats.
    public static func makeStrategy(_ mode: Mode, count: Int) -> any AggregationStrategy {
        let model = [Float](repeating: 0, count: count)
        switch mode {
        case .fedAsync: return FedAsync(model: model, alpha: 0.6, staleness: StalenessPolicy(function: .polynomial(a: 0.5)))
        case .fedBuff: return FedBuff(model: model, bufferSize: 10, staleness: StalenessPolicy(function: .polynomial(a: 0.5)))
        case .syncFedAvg: return SyncFedAvg(model: model, roundSize: 10)
        }
    }

    /// Inputs shared by the modes of one size: a seeded delta, its wire frames, a codec.
    struct Setup {
        let codec: MessageCodec
        let update: ClientUpdate
        let frames: [[UInt8]]

        init(parameters: Int) {
            let layout = ParameterLayout([ParameterSpec(name: "w", shape: [parameters])])
            codec = MessageCodec(layout: layout, runID: 1, payloadCodec: SafeTensorsPayloadCodec())
            var g = SeededGenerator(seed: 5)
            let delta = (0..<parameters).map { _ in (g.nextUnitFloat() - 0.5) * 1e-3 }
            update = ClientUpdate(trainerID: 1, baseVersion: 0, sampleCount: 32, delta: delta)
            frames = codec.update(delta: delta, baseVersion: 0, trainerID: 1, sequence: 1, sampleCount: 32, trainingLoss: 0.5)
        }

        /// Submits `update` based on the strategy's current version (never stale).
        func submit(_ update: ClientUpdate, to strategy: any AggregationStrategy) -> SubmitOutcome? {
            var update = update
            update.baseVersion = strategy.version
            return try? strategy.submit(update, now: 0)
        }

        /// Decoding the frames into a reused buffer (no strategy), GB/s of update data. Every
        /// update has the same safetensors header, so the plan cache always hits.
        func decodeGigabytesPerSecond(repetitions: Int, updates: Int) -> Double {
            var spare: [Float] = []
            var plans = SafeTensorsPlanCache()
            let perSecond = rate(updates, repetitions) {
                guard let update = try? codec.decodeUpdate(frames, reusing: &spare, plans: &plans) else {
                    preconditionFailure("benchmark update rejected")
                }
                spare = update.delta
            }
            return perSecond * Double(update.delta.count * MemoryLayout<Float>.stride) / 1e9
        }

        /// memcpy (`VectorMath.copy`) of the update's floats into a scratch vector, GB/s.
        func memcpyGigabytesPerSecond(repetitions: Int, copies: Int) -> Double {
            var scratch = [Float](repeating: 0, count: update.delta.count)
            let perSecond = update.delta.withUnsafeBufferPointer { source in
                scratch.withUnsafeMutableBufferPointer { target in
                    rate(copies, repetitions) { VectorMath.copy(source.baseAddress!, to: target.baseAddress!, count: source.count) }
                }
            }
            return perSecond * Double(update.delta.count * MemoryLayout<Float>.stride) / 1e9
        }
    }

    /// Calls per second of `body`: median over `repetitions` passes of `calls` calls, after one
    /// untimed pass (pages touched, caches warm).
    private static func rate(_ calls: Int, _ repetitions: Int, _ body: () -> Void) -> Double {
        var rates: [Double] = []
        for pass in 0...max(1, repetitions) {
            let seconds = BenchmarkClock.seconds { for _ in 0..<calls { body() } }
            if pass > 0 { rates.append(Double(calls) / seconds) }
        }
        rates.sort()
        return rates[rates.count / 2]
    }
}
