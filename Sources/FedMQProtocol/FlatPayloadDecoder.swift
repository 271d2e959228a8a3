import SafeTensorsFormat
import VectorKernels

/// Decodes a safetensors payload of weights or deltas (a model broadcast, an update) into a
/// flat vector whose storage is reused, in one pass over the payload (`PayloadScan`: CRC-32C,
/// copy, finite check and sum of squares). Updates and model broadcasts share it so that both
/// keep exactly the same payload checks in the same order.
///
/// The CRC-32C is judged first, as in `FrameCodec.decode`: a payload whose header cannot be
/// planned is checksummed on its own, so a corrupted one is still `badChecksum`. Whatever
/// comes after the checksum (malformed safetensors, NaN/∞) is returned, not thrown, so the
/// caller can keep its order of checks.
enum FlatPayloadDecoder {
    /// A payload whose checksum matched: decoded into the flat vector, or with a `problem`.
    struct Decoded {
        /// Why the payload is unusable (`payloadDecode`, `nonFinite`), or nil.
        let problem: ProtocolError?
        /// L2 norm of the decoded floats (meaningful when `problem` is nil; a model broadcast
        /// ignores it).
        let norm: Float

        /// The norm, or the problem thrown.
        func validated() throws(ProtocolError) -> Float {
            if let problem { throw problem }
            return norm
        }
    }

    /// Decodes `payload` (whose CRC-32C must be `checksum`) for `layout` into `flat`: its
    /// storage is written in place when it already holds `layout.count` floats (and is not
    /// shared), else replaced; the safetensors header is planned through `plans`. Throws
    /// `badChecksum` only; `flat` is scratch on any failure.
    static func decode(_ payload: UnsafeRawBufferPointer, header: MessageHeader, layout: ParameterLayout,
                       into flat: inout [Float], plans: inout SafeTensorsPlanCache) throws(ProtocolError) -> Decoded {
        let plan: SafeTensorsFlatPlan
        do {
            plan = try plans.plan(for: payload, layout: layout)
        } catch {
            try FrameCodec.verifyChecksum(CRC32C.checksum(payload), header: header)
            return Decoded(problem: ProtocolError(.payloadDecode, "\(error)", underlying: error), norm: 0)
        }
        let scan = scan(payload, plan, into: &flat)
        try FrameCodec.verifyChecksum(scan.checksum, header: header)
        guard scan.isFiniteCertain || VectorMathBridge.allFinite(flat) else {
            return Decoded(problem: ProtocolError(.nonFinite, "payload contains NaN or infinity"), norm: 0)
        }
        return Decoded(problem: nil, norm: scan.sumOfSquares.squareRoot())
    }

    /// Runs the scan into `flat`'s storage, or into fresh storage if its size is wrong.
    private static func scan(_ payload: UnsafeRawBufferPointer, _ plan: SafeTensorsFlatPlan,
                             into flat: inout [Float]) -> PayloadScan {
        if flat.count == plan.flatCount {
            return flat.withUnsafeMutableBufferPointer { scan(payload, plan, into: $0) }
        }
        var result = PayloadScan()
        flat = [Float](unsafeUninitializedCapacity: plan.flatCount) { buffer, initialized in
            result = scan(payload, plan, into: buffer)
            initialized = plan.flatCount  // the plan's segments cover every float exactly once
        }
        return result
    }

    /// Feeds the whole payload through one `PayloadScan`, in payload order.
    private static func scan(_ payload: UnsafeRawBufferPointer, _ plan: SafeTensorsFlatPlan,
                             into flat: UnsafeMutableBufferPointer<Float>) -> PayloadScan {
        var scan = PayloadScan()
        var position = 0
        for segment in plan.segments where segment.count > 0 {
            scan.checksum(UnsafeRawBufferPointer(rebasing: payload[position..<segment.payloadOffset]))
            scan.copy(from: payload.baseAddress! + segment.payloadOffset, to: flat.baseAddress! + segment.flatOffset,
                      count: segment.count)
            position = segment.payloadOffset + 4 * segment.count
        }
        scan.checksum(UnsafeRawBufferPointer(rebasing: payload[position...]))
        return scan
    }
}
