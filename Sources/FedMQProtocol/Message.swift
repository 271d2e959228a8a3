/// One federation message: a header and its payload bytes (safetensors for model/update,
/// JSON for register/registered, empty otherwise).
public struct Message: Sendable, Hashable {
    public var header: MessageHeader
    public var payload: [UInt8]

    /// Builds a message, filling in the header's payload length and CRC-32C.
    public init(header: MessageHeader, payload: [UInt8]) {
        var h = header
        h.payloadLength = UInt64(payload.count)
        h.payloadChecksum = CRC32C.checksum(payload)
        self.header = h
        self.payload = payload
    }

    /// Wraps an already-validated header and payload without recomputing anything.
    package init(validated header: MessageHeader, payload: [UInt8]) {
        self.header = header
        self.payload = payload
    }
}
