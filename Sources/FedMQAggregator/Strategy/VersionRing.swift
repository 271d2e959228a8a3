import TensorCore
import VectorKernels

/// The last `capacity` global models by version, in preallocated slots: O(capacity·model).
struct VersionRing {
    let capacity: Int
    private var slots: [[Float]]
    private var versions: [UInt64?]

    init(capacity: Int, count: Int) {
        precondition(capacity >= 1)
        self.capacity = capacity
        slots = [[Float]](repeating: [Float](repeating: 0, count: count), count: capacity)
        versions = [UInt64?](repeating: nil, count: capacity)
    }

    /// Stores a copy of `model` as `version`, overwriting the oldest slot.
    mutating func store(_ model: [Float], version: UInt64) {
        let slot = Int(version % UInt64(capacity))
        slots[slot].withUnsafeMutableBufferPointer { dst in
            model.withUnsafeBufferPointer { src in
                guard let s = src.baseAddress, let d = dst.baseAddress else { return }
                VectorMath.copy(s, to: d, count: src.count)
            }
        }
        versions[slot] = version
    }

    /// Runs `body` on the stored model of `version`, or returns nil if it is no longer held.
    func withModel<R>(_ version: UInt64, _ body: ([Float]) -> R) -> R? {
        let slot = Int(version % UInt64(capacity))
        guard versions[slot] == version else { return nil }
        return body(slots[slot])
    }

    /// Floats held in the slots.
    var retainedFloats: Int { slots.reduce(0) { $0 + $1.capacity } }

    mutating func clear() { versions = versions.map { _ in nil } }
}
