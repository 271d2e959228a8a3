/// The fixed 80-byte little-endian header frame of every federation message.
///
/// | offset | size | type | field |
/// |---|---|---|---|
/// | 0 | 4 | bytes | magic `FMQ1` |
/// | 4 | 2 | u16 | protocol version (1) |
/// | 6 | 2 | u16 | `MessageKind` |
/// | 8 | 8 | u64 | run id |
/// | 16 | 8 | u64 | architecture fingerprint (`ParameterLayout.fingerprint`) |
/// | 24 | 8 | u64 | model version |
/// | 32 | 8 | u64 | base version |
/// | 40 | 8 | u64 | sequence number |
/// | 48 | 8 | u64 | payload length, bytes |
/// | 56 | 4 | u32 | trainer id |
/// | 60 | 4 | u32 | sample count |
/// | 64 | 4 | f32 | training loss (IEEE 754 bits) |
/// | 68 | 4 | u32 | payload CRC-32C |
/// | 72 | 4 | u32 | flags (`MessageFlags`) |
/// | 76 | 4 | u32 | reserved, zero |
public struct MessageHeader: Sendable, Hashable {
    /// Header size in bytes.
    public static let byteCount = 80
    /// `FMQ1` as bytes.
    public static let magic: [UInt8] = Array("FMQ1".utf8)
    /// The protocol version this build writes and accepts.
    public static let currentVersion: UInt16 = 1

    public var protocolVersion: UInt16 = MessageHeader.currentVersion
    public var kind: MessageKind
    /// Identifies one federation run; messages from other runs are rejected.
    public var runID: UInt64
    /// `ParameterLayout.fingerprint` of the model architecture.
    public var fingerprint: UInt64
    /// For `model`: the version of the weights carried. For others: the sender's latest known version.
    public var modelVersion: UInt64 = 0
    /// For `update`: the global version the trainer started from (τ).
    public var baseVersion: UInt64 = 0
    /// Per-sender increasing counter (replay detection).
    public var sequence: UInt64 = 0
    /// Payload length in bytes (must equal the payload frame's size).
    public var payloadLength: UInt64 = 0
    /// Trainer id assigned at registration (0 = aggregator / unregistered).
    public var trainerID: UInt32 = 0
    /// For `update`: number of training samples behind the delta.
    public var sampleCount: UInt32 = 0
    /// For `update`: mean training loss over the local epoch(s).
    public var trainingLoss: Float = 0
    /// CRC-32C of the payload bytes.
    public var payloadChecksum: UInt32 = 0
    /// Option bits.
    public var flags: MessageFlags = []
    /// Reserved bits: written 0 by this build, ignored on receipt but kept, so a decoded header
    /// re-encodes to the same bytes.
    public var reserved: UInt32 = 0

    public init(kind: MessageKind, runID: UInt64, fingerprint: UInt64) {
        self.kind = kind
        self.runID = runID
        self.fingerprint = fingerprint
    }

    /// The 80 header bytes.
    public func encoded() -> [UInt8] {
        var out = MessageHeader.magic
        out.reserveCapacity(MessageHeader.byteCount)
        func put<T: FixedWidthInteger>(_ v: T) {
            withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
        }
        put(protocolVersion); put(kind.rawValue); put(runID); put(fingerprint)
        put(modelVersion); put(baseVersion); put(sequence); put(payloadLength)
        put(trainerID); put(sampleCount); put(trainingLoss.bitPattern); put(payloadChecksum)
        put(flags.rawValue); put(reserved)
        return out
    }

    /// Parses and structurally validates a header frame (size, magic, version, kind).
    /// Run id, fingerprint and payload checks belong to `FrameCodec`.
    public static func decode(_ bytes: [UInt8]) throws(ProtocolError) -> MessageHeader {
        guard bytes.count == byteCount else {
            throw ProtocolError(.shortHeader, "header is \(bytes.count) bytes, expected \(byteCount)")
        }
        guard Array(bytes[0..<4]) == magic else { throw ProtocolError(.badMagic, "header magic is not FMQ1") }
        func get<T: FixedWidthInteger>(_ offset: Int, _: T.Type) -> T {
            bytes.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
        }
        let version = get(4, UInt16.self)
        guard version == currentVersion else {
            throw ProtocolError(.unsupportedVersion, "protocol version \(version), this build speaks \(currentVersion)")
        }
        let kindValue = get(6, UInt16.self)
        guard let kind = MessageKind(rawValue: kindValue) else {
            throw ProtocolError(.unknownKind, "message kind \(kindValue) is not defined")
        }
        var h = MessageHeader(kind: kind, runID: get(8, UInt64.self), fingerprint: get(16, UInt64.self))
        h.modelVersion = get(24, UInt64.self)
        h.baseVersion = get(32, UInt64.self)
        h.sequence = get(40, UInt64.self)
        h.payloadLength = get(48, UInt64.self)
        h.trainerID = get(56, UInt32.self)
        h.sampleCount = get(60, UInt32.self)
        h.trainingLoss = Float(bitPattern: get(64, UInt32.self))
        h.payloadChecksum = get(68, UInt32.self)
        h.flags = MessageFlags(rawValue: get(72, UInt32.self))
        h.reserved = get(76, UInt32.self)
        return h
    }
}
