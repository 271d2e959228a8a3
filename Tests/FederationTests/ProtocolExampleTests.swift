import FedMQProtocol
import SafeTensorsFormat
import TensorCore
import Testing

private func bytes(_ hex: String) -> [UInt8] {
    var out: [UInt8] = []
    var it = hex.makeIterator()
    while let a = it.next(), let b = it.next() { out.append(UInt8(String([a, b]), radix: 16)!) }
    return out
}

/// The worked example in docs/PROTOCOL.md (bytes computed independently with Python `struct`).
@Test func updateMatchesTheDocumentedWorkedExample() throws {
    let layout = ParameterLayout([ParameterSpec(name: "w", shape: [2])])
    #expect(layout.fingerprint == 0x2b70_68f7_31c0_d79b)
    let codec = MessageCodec(layout: layout, runID: 7, payloadCodec: SafeTensorsPayloadCodec())
    let frames = codec.update(delta: [0.5, -0.25], baseVersion: 4, trainerID: 3, sequence: 12, sampleCount: 600, trainingLoss: 0.75)
    #expect(frames[0] == Array("update".utf8))
    #expect(frames[1] == bytes(
        "464d51310100020007000000000000009bd7c031f768702b040000000000000004000000000000000c0000000000000070"
            + "0000000000000003000000580200000000403f37b2b3290100000000000000"))
    #expect(frames[2] == bytes(
        "60000000000000007b225f5f6d657461646174615f5f223a7b226665646d712e626173655f76657273696f6e223a2234227d"
            + "2c2277223a7b226474797065223a22463332222c227368617065223a5b325d2c22646174615f6f666673657473223a5b302c"
            + "385d7d7d0000003f000080be"))
    #expect(try codec.decodeUpdate(frames).delta == [0.5, -0.25])
}
