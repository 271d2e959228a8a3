import SafeTensorsFormat

/// Throughput of the flat safetensors paths that federation uses for every message.
public enum SafeTensorsBenchmark {
    /// Median GB/s (1e9 payload bytes per second) and milliseconds per call.
    public struct Result: Sendable {
        public var megabytes: Double
        public var encodeGBps: Double
        public var decodeGBps: Double
        public var encodeMilliseconds: Double
        public var decodeMilliseconds: Double
        /// The same with caller-reused buffers (`encode(…into:)`, `decodeFlat(…into:)`).
        public var reusedEncodeGBps: Double
        public var reusedDecodeGBps: Double
    }

    /// Encodes and decodes a `floats`-element flat vector (split into 8 tensors) `repetitions` times.
    public static func run(floats: Int = 16 << 20, repetitions: Int = 10) -> Result {
        let parts = 8
        let specs = (0..<parts).map { index in
            ParameterSpec(name: "layer\(index).weight", shape: [floats / parts + (index < floats % parts ? 1 : 0)])
        }
        let layout = ParameterLayout(specs)
        let flat = (0..<layout.count).map { Float($0 & 0xFFFF) }
        var encodeTimes: [Double] = [], decodeTimes: [Double] = []
        var reusedEncodeTimes: [Double] = [], reusedDecodeTimes: [Double] = []
        var payload: [UInt8] = []
        var decoded: [Float] = []
        var checksum: Float = 0
        for pass in 0...max(repetitions, 1) {
            let encode = BenchmarkClock.seconds { payload = SafeTensors.encode(flat: flat, layout: layout) }
            let decode = BenchmarkClock.seconds {
                checksum += (try? SafeTensors.decodeFlat(payload, layout: layout).flat.last) ?? .nan
            }
            let reusedEncode = BenchmarkClock.seconds { SafeTensors.encode(flat: flat, layout: layout, into: &payload) }
            let reusedDecode = BenchmarkClock.seconds {
                checksum += (try? SafeTensors.decodeFlat(payload, layout: layout, into: &decoded)) == nil ? .nan : 0
            }
            guard pass > 0 else { continue }
            encodeTimes.append(encode)
            decodeTimes.append(decode)
            reusedEncodeTimes.append(reusedEncode)
            reusedDecodeTimes.append(reusedDecode)
        }
        precondition(checksum.isFinite, "safetensors benchmark failed to decode its own payload")
        let bytes = Double(payload.count)
        let encode = median(encodeTimes), decode = median(decodeTimes)
        return Result(megabytes: bytes / 1e6, encodeGBps: bytes / encode / 1e9, decodeGBps: bytes / decode / 1e9,
                      encodeMilliseconds: encode * 1e3, decodeMilliseconds: decode * 1e3,
                      reusedEncodeGBps: bytes / median(reusedEncodeTimes) / 1e9,
                      reusedDecodeGBps: bytes / median(reusedDecodeTimes) / 1e9)
    }

    private static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }
}
