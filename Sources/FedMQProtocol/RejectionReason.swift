/// Why an incoming message or update was refused. `rawValue` is a stable snake_case name used
/// as a metrics key and in logs; never rename a case's raw value.
public enum RejectionReason: String, Sendable, Hashable, Codable, CaseIterable {
    /// Not exactly three frames `[topic, header, payload]`.
    case wrongFrameCount = "wrong_frame_count"
    /// Header frame shorter (or longer) than `MessageHeader.byteCount`.
    case shortHeader = "short_header"
    /// Header does not start with `FMQ1`.
    case badMagic = "bad_magic"
    /// Protocol version this build does not speak.
    case unsupportedVersion = "unsupported_version"
    /// Message kind number not defined, or a kind not allowed on this channel.
    case unknownKind = "unknown_kind"
    /// Topic frame does not match the message kind.
    case wrongTopic = "wrong_topic"
    /// Run id differs from this run's.
    case wrongRunID = "wrong_run_id"
    /// Architecture fingerprint differs from the model's `ParameterLayout.fingerprint`.
    case fingerprintMismatch = "fingerprint_mismatch"
    /// Header payload length differs from the payload frame's size.
    case payloadLengthMismatch = "payload_length_mismatch"
    /// Payload CRC-32C differs from the header's.
    case badChecksum = "bad_checksum"
    /// Payload larger than the configured bound.
    case oversizePayload = "oversize_payload"
    /// Payload is not a valid safetensors file for the model layout (names, shapes, dtype).
    case payloadDecode = "payload_decode"
    /// A header field holds an impossible value (e.g. an update with sample count 0).
    case invalidField = "invalid_field"
    /// Payload contains NaN or ±infinity.
    case nonFinite = "non_finite"
    /// Update L2 norm above the configured bound (reject policy).
    case normExceeded = "norm_exceeded"
    /// Update based on a version older than the maximum staleness allows (or, in sync mode,
    /// not on the current round's version).
    case tooStale = "too_stale"
    /// Update based on a version newer than the aggregator's current one.
    case futureVersion = "future_version"
    /// Sender not registered (or expired) where registration is required.
    case unknownTrainer = "unknown_trainer"
    /// Replayed sequence number (not greater than the last one seen from that trainer).
    case duplicateSequence = "duplicate_sequence"
    /// With CURVE: the sender's public key (attested by the broker) is not in the aggregator's
    /// allowed-trainer list, is missing, or is not the key the trainer id was registered with.
    case unauthorizedKey = "unauthorized_key"
    /// With central differential privacy: the trainer already has an update in the version being
    /// formed (one update per trainer per version bounds its contribution to the clipping norm).
    case contributionLimit = "contribution_limit"
}
