import FedMQProtocol
import Logging
import SafeTensorsFormat
import TensorCore

/// A logger that discards everything, for services under test.
let quietLogger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

/// A tiny two-tensor layout (8 scalars) used across Federation tests.
let smallLayout = ParameterLayout([
    ParameterSpec(name: "fc.weight", shape: [2, 3]),
    ParameterSpec(name: "fc.bias", shape: [2]),
])

func smallCodec(runID: UInt64 = 7, normPolicy: UpdateNormPolicy = .unbounded) -> MessageCodec {
    MessageCodec(layout: smallLayout, runID: runID, payloadCodec: SafeTensorsPayloadCodec(), normPolicy: normPolicy)
}

func randomVector(_ count: Int, seed: UInt64) -> [Float] {
    var g = SeededGenerator(seed: seed)
    return (0..<count).map { _ in g.nextUnitFloat() * 2 - 1 }
}

func update(base: UInt64, delta: [Float], samples: UInt32 = 1, trainer: UInt32 = 1) -> ClientUpdate {
    ClientUpdate(trainerID: trainer, baseVersion: base, sampleCount: samples, delta: delta)
}

/// Expects `body` to throw a `ProtocolError` with `reason`.
func expectRejection(_ reason: RejectionReason, _ body: () throws -> Void) -> Bool {
    do {
        try body()
        return false
    } catch {
        return (error as? ProtocolError)?.reason == reason
    }
}
