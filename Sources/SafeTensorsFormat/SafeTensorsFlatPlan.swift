/// Where each tensor of a validated safetensors payload goes in a model's flat vector, so a
/// caller can copy (and check) the data in one pass of its own instead of `decodeFlat`'s copy.
///
/// Made by `SafeTensors.flatPlan(_:layout:)` only after the header was parsed and every tensor
/// matched `layout` (names, shapes, F32): the segments then cover each of the layout's
/// `layout.count` floats exactly once, in payload order.
public struct SafeTensorsFlatPlan: Sendable {
    /// One tensor's F32 data: `count` floats at payload byte `payloadOffset`, destined for
    /// flat index `flatOffset`.
    public struct Segment: Sendable, Hashable {
        /// Absolute byte offset of the tensor's data in the payload.
        public let payloadOffset: Int
        /// Index of the tensor's first float in the flat vector.
        public let flatOffset: Int
        /// Floats in the tensor (bytes = 4 × count).
        public let count: Int
    }

    /// Tensors in increasing `payloadOffset`, non-overlapping.
    public let segments: [Segment]
    /// `__metadata__`, or empty.
    public let metadata: [String: String]
    /// Floats in the flat vector (`layout.count`).
    public let flatCount: Int
}
