import Testing
import ZeroMQ

@Suite struct Z85Tests {
    @Test func rfc32TestVector() throws {
        let bytes: [UInt8] = [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B]
        #expect(try Z85.encode(bytes) == "HelloWorld")
        #expect(try Z85.decode("HelloWorld") == bytes)
    }

    @Test(arguments: [0, 4, 32, 256])
    func roundTrip(count: Int) throws {
        let bytes = patterned(count: count, seed: UInt64(count) + 1)
        let text = try Z85.encode(bytes)
        #expect(text.utf8.count == count / 4 * 5)
        #expect(try Z85.decode(text) == bytes)
    }

    @Test func extremesRoundTrip() throws {
        let bytes: [UInt8] = [0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]
        #expect(try Z85.decode(Z85.encode(bytes)) == bytes)
    }

    @Test func badInputIsRejected() {
        #expect(throws: ZMQError.self) { try Z85.encode([1, 2, 3]) }
        #expect(throws: ZMQError.self) { try Z85.decode("Hell") }
        #expect(throws: ZMQError.self) { try Z85.decode("Hello\"orld") }
        #expect(throws: ZMQError.self) { try Z85.decode("#####") }  // > UInt32.max
        #expect(throws: ZMQError.self) { try CurveKey(z85: "HelloWorld") }
        #expect(throws: ZMQError.self) { try CurveKey(bytes: [1, 2]) }
    }
}
