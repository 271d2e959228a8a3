/// Option bits in header bytes 72–75. Unknown bits are ignored by receivers.
public struct MessageFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// The payload is a delta `local − base` (set on every `update`).
    public static let delta = MessageFlags(rawValue: 1 << 0)
    /// The sender clipped the delta to a norm bound before sending.
    public static let clipped = MessageFlags(rawValue: 1 << 1)
}
