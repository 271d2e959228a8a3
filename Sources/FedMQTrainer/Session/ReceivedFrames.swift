// A received multipart message as `TrainerSession` reads it: owned frames (`[[UInt8]]`, what
// tests build) or frames still in libzmq's buffer (`HeldMessage`, what the trainer receives), so
// a model broadcast is decoded straight from the socket's memory into the reused weights buffer
// (one copy, one pass) while tests drive the same code with plain arrays.
import ZeroMQ

/// The frames of one received message.
public protocol ReceivedFrames {
    /// Number of frames.
    var frameCount: Int { get }
    /// A copy of frame `index` (small frames: topic, header).
    func bytes(ofFrame index: Int) -> [UInt8]
    /// Runs `body` on frame `index` in place.
    func withBytes<R>(ofFrame index: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}

extension Array: ReceivedFrames where Element == [UInt8] {
    public var frameCount: Int { count }
    public func bytes(ofFrame index: Int) -> [UInt8] { self[index] }
    public func withBytes<R>(ofFrame index: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try self[index].withUnsafeBytes(body)
    }
}

extension HeldMessage: ReceivedFrames {}
