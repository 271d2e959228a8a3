/// Keeps a Swift byte array alive while libzmq sends it without copying.
///
/// A retained reference is handed to `zmq_msg_init_data` as the "hint"; libzmq calls
/// `releaseZeroCopyPayload` from its I/O thread once the bytes are on the wire, which
/// balances the retain. Reference counting is atomic, so releasing from that thread is safe.
/// The array is never mutated while boxed, so its heap buffer (and the pointer taken from
/// it) stays valid until the release.
final class ZeroCopyPayload {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Frames at least this large are sent without copying; smaller ones are copied,
    /// which is cheaper than the allocation and callback.
    static let threshold = 32 * 1024
}

/// The `zmq_free_fn` for zero-copy frames: drops the reference retained for libzmq.
let releaseZeroCopyPayload: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Void = { _, hint in
    guard let hint else { return }
    Unmanaged<ZeroCopyPayload>.fromOpaque(hint).release()
}
