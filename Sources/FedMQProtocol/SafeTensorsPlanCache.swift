import SafeTensorsFormat

/// The last `SafeTensorsFlatPlan` made and the header it was made from, so that an update whose
/// safetensors header is byte-for-byte the previous one's (same trainer code, same base version
/// in the metadata) skips the JSON parse: a compare of the header bytes instead of about as
/// long as a 100 kB payload's fused scan (measured with `fedmq bench aggregation`).
///
/// The plan depends only on the header bytes, the payload's length and the layout, which are
/// all compared; a miss parses and validates as `SafeTensors.flatPlan` always does.
public struct SafeTensorsPlanCache: Sendable {
    /// Length prefix and JSON header of the cached plan's payload.
    private var header: [UInt8] = []
    private var payloadCount = 0
    private var layout: ParameterLayout?
    private var plan: SafeTensorsFlatPlan?

    public init() {}

    /// The plan for `payload` in `layout`, from the cache when its header matches.
    mutating func plan(for payload: UnsafeRawBufferPointer, layout: ParameterLayout) throws(SafeTensorsError) -> SafeTensorsFlatPlan {
        if let plan, hits(payload, layout) { return plan }
        plan = nil
        let made = try SafeTensors.flatPlan(payload, layout: layout)
        let end = 8 + Int(payload.loadUnaligned(as: UInt64.self).littleEndian)  // validated by flatPlan
        (header, payloadCount, self.layout, plan) = (Array(payload[0..<end]), payload.count, layout, made)
        return made
    }

    private func hits(_ payload: UnsafeRawBufferPointer, _ layout: ParameterLayout) -> Bool {
        guard payload.count == payloadCount, header.count <= payload.count, self.layout == layout else { return false }
        return header.withUnsafeBytes { cached in cached.elementsEqual(UnsafeRawBufferPointer(rebasing: payload[0..<cached.count])) }
    }
}
