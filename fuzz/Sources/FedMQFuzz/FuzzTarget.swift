import CFuzzDriver
import Foundation
import FedMQProtocol
import SafeTensorsFormat

/// One libFuzzer input is split into the three frames of a message: two little-endian u16
/// lengths (topic, header), then the topic, header and payload bytes. Every decoder a receiver
/// runs on network input gets the frames: the trainer's broadcast decoder, the aggregator's
/// update and control decoders (reject and clip norm policies), and the raw safetensors parser.
/// A crash, a sanitizer report or a non-ProtocolError failure is a finding.
enum FuzzTarget {
    static let layout = ParameterLayout([
        ParameterSpec(name: "fc.weight", shape: [2, 3]),
        ParameterSpec(name: "fc.bias", shape: [2]),
    ])
    static let rejecting = MessageCodec(layout: layout, runID: 7, payloadCodec: SafeTensorsPayloadCodec(),
                                        normPolicy: .reject(above: 100))
    static let clipping = MessageCodec(layout: layout, runID: 7, payloadCodec: SafeTensorsPayloadCodec(),
                                       normPolicy: .clip(to: 1))

    /// The frames encoded in `bytes`, or nil when the input is too short to hold the lengths.
    static func frames(_ bytes: UnsafeRawBufferPointer) -> [[UInt8]]? {
        guard bytes.count >= 4 else { return nil }
        let topicLength = Int(bytes[0]) | Int(bytes[1]) << 8
        let headerLength = Int(bytes[2]) | Int(bytes[3]) << 8
        let rest = Array(bytes[4...])
        let topicEnd = min(topicLength, rest.count)
        let headerEnd = min(topicEnd + headerLength, rest.count)
        return [Array(rest[..<topicEnd]), Array(rest[topicEnd..<headerEnd]), Array(rest[headerEnd...])]
    }

    static func run(_ bytes: UnsafeRawBufferPointer) {
        _ = try? SafeTensors.decode(bytes)
        guard let frames = frames(bytes) else { return }
        _ = try? SafeTensors.decodeFlat(frames[2], layout: layout)
        _ = try? rejecting.decodeUpdate(frames)
        _ = try? clipping.decodeUpdate(frames)
        _ = try? rejecting.decodeBroadcast(frames)
        _ = try? rejecting.decodeControl(frames)
        _ = try? rejecting.decodeControl(Array(frames.dropFirst()))
        // The same frames with payload length and CRC-32C repaired, so mutations reach the
        // payload decoders without having to guess a checksum.
        if let header = try? MessageHeader.decode(frames[1]) {
            let repaired = FrameCodec.encode(Message(header: header, payload: frames[2]))
            let withTopic = [frames[0], repaired[1], repaired[2]]
            _ = try? rejecting.decodeUpdate(withTopic)
            _ = try? clipping.decodeUpdate(withTopic)
            _ = try? rejecting.decodeBroadcast(withTopic)
            _ = try? rejecting.decodeControl(withTopic)
        }
    }

    /// One libFuzzer input holding `frames` (the inverse of `frames(_:)` for three frames).
    static func input(_ frames: [[UInt8]]) -> [UInt8] {
        [UInt8(frames[0].count & 0xFF), UInt8(frames[0].count >> 8), UInt8(frames[1].count & 0xFF), UInt8(frames[1].count >> 8)]
            + frames.joined()
    }

    /// Seed inputs: one real encoded message of every kind.
    static func seeds() -> [(name: String, bytes: [UInt8])] {
        let delta: [Float] = [0.5, -0.25, 1, 0, -1, 2, 0.125, -0.5]
        let registration = Registration(trainerID: 3, shardIndex: 1, shardCount: 4, partition: "dirichlet:0.5", seed: 42, modelVersion: 9)
        let messages: [(String, [[UInt8]])] = [
            ("update", rejecting.update(delta: delta, baseVersion: 4, trainerID: 3, sequence: 12, sampleCount: 600, trainingLoss: 0.75)),
            ("model", rejecting.model(delta, version: 17)),
            ("stop", rejecting.stop(version: 18, reason: "target accuracy reached")),
            ("register", rejecting.control(.register(RegisterRequest(identity: "trainer-3"), sequence: 1))),
            ("register-anonymous", rejecting.control(.register(RegisterRequest(), sequence: 1))),
            ("registered", rejecting.control(.registered(registration))),
            ("heartbeat", rejecting.control(.heartbeat(trainerID: 3, sequence: 13))),
            ("goodbye", rejecting.control(.goodbye(trainerID: 3, sequence: 14))),
            ("unregistered", rejecting.control(.unregistered(trainerID: 3, sequence: 13))),
        ]
        return messages.map { ($0.0, input($0.1)) }
    }
}

extension FuzzTarget {
    /// Writes `seeds()` into `directory` (one file per message kind); 0 on success.
    static func writeSeeds(to directory: String) -> CInt {
        for seed in seeds() {
            guard let file = fopen(directory + "/" + seed.name, "wb") else { return 1 }
            defer { fclose(file) }
            guard fwrite(seed.bytes, 1, seed.bytes.count, file) == seed.bytes.count else { return 1 }
        }
        return 0
    }
}

/// The executable's entry point (SwiftPM links `main` to `<target>_main`): hands the command
/// line to libFuzzer's driver with `FuzzTarget.run` as the callback.
@_cdecl("FedMQFuzz_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    if argc == 3, let flag = argv?[1], String(cString: flag) == "--make-corpus", let directory = argv?[2] {
        return FuzzTarget.writeSeeds(to: String(cString: directory))
    }
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, count in fuzzOneInput(data, count) }
}

/// libFuzzer's per-input callback (also the symbol its own `main` expects).
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    FuzzTarget.run(UnsafeRawBufferPointer(start: data, count: count))
    return 0
}
