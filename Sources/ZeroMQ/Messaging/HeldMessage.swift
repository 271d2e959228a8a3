import CZMQ

/// A received multipart message kept as libzmq message handles, so it can be forwarded or
/// re-sent any number of times without copying its payload.
///
/// `send(_:to:)` hands libzmq a `zmq_msg_copy` of each frame: frames above libzmq's small
/// message size share one reference-counted buffer, so a 64 MB model held in a cache and
/// sent to many subscribers costs no memcpy in the forwarding thread. Memory: the frames'
/// bytes once, however often the message is sent.
///
/// Owned by one thread at a time (like sockets); the handles are closed on deinit.
public final class HeldMessage: @unchecked Sendable {
    private let frames: UnsafeMutablePointer<zmq_msg_t>
    /// Number of frames (≥ 1).
    public let frameCount: Int
    /// Payload bytes over all frames.
    public let byteCount: Int

    private init(frames: UnsafeMutablePointer<zmq_msg_t>, count: Int) {
        self.frames = frames
        frameCount = count
        byteCount = (0..<count).reduce(0) { $0 + zmq_msg_size(frames + $1) }
    }

    deinit {
        for index in 0..<frameCount { zmq_msg_close(frames + index) }
        frames.deallocate()
    }

    /// A copy of frame `index`'s bytes (for small frames such as a topic).
    public func bytes(ofFrame index: Int) -> [UInt8] {
        precondition(index >= 0 && index < frameCount, "frame \(index) of a \(frameCount)-frame message")
        let size = zmq_msg_size(frames + index)
        guard size > 0, let data = zmq_msg_data(frames + index) else { return [] }
        return Array(UnsafeRawBufferPointer(start: data, count: size))
    }

    /// Runs `body` on frame `index`'s bytes in place (valid only during the call).
    public func withBytes<R>(ofFrame index: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        precondition(index >= 0 && index < frameCount, "frame \(index) of a \(frameCount)-frame message")
        return try body(UnsafeRawBufferPointer(start: zmq_msg_data(frames + index), count: zmq_msg_size(frames + index)))
    }

    /// Receives one whole multipart message from `socket` without copying it out of libzmq.
    /// Returns `nil` when nothing is pending with `dontWait` (or the receive timed out).
    static func receive(from handle: UnsafeMutableRawPointer, options: ReceiveOptions) throws(ZMQError) -> HeldMessage? {
        var capacity = 4
        var frames = UnsafeMutablePointer<zmq_msg_t>.allocate(capacity: capacity)
        var count = 0
        var more = true
        while more {
            if count == capacity {
                let grown = UnsafeMutablePointer<zmq_msg_t>.allocate(capacity: capacity * 2)
                for index in 0..<count { zmq_msg_init(grown + index); zmq_msg_move(grown + index, frames + index) }
                frames.deallocate()
                (frames, capacity) = (grown, capacity * 2)
            }
            zmq_msg_init(frames + count)
            let flags = count == 0 ? options.rawValue : 0
            do {
                _ = try retryingInterrupts("zmq_msg_recv") { zmq_msg_recv(frames + count, handle, flags) }
            } catch {
                for index in 0...count { zmq_msg_close(frames + index) }
                frames.deallocate()
                if error.isWouldBlock && count == 0 { return nil }
                throw error
            }
            more = zmq_msg_more(frames + count) != 0
            count += 1
        }
        return HeldMessage(frames: frames, count: count)
    }

    /// Queues a shared copy of every frame on `handle` (`ZMQ_SNDMORE` between frames).
    /// Returns `false` if the first frame could not be queued (`dontWait`, send timeout).
    func send(to handle: UnsafeMutableRawPointer, options: SendOptions) throws(ZMQError) -> Bool {
        for index in 0..<frameCount {
            var copy = zmq_msg_t()
            zmq_msg_init(&copy)
            guard zmq_msg_copy(&copy, frames + index) == 0 else { throw ZMQError.last("zmq_msg_copy") }
            let flags = options.rawValue | (index < frameCount - 1 ? ZMQ_SNDMORE : 0)
            do {
                _ = try retryingInterrupts("zmq_msg_send") { zmq_msg_send(&copy, handle, flags) }
            } catch {
                zmq_msg_close(&copy)
                if error.isWouldBlock && index == 0 { return false }
                throw error
            }
        }
        return true
    }
}

extension Socket {
    /// Receives one whole multipart message and keeps it in libzmq's buffers (no copy).
    /// - Returns: the message, or `nil` if nothing arrived because of `dontWait` or the
    ///   receive timeout.
    public func receiveHeld(options: ReceiveOptions = []) throws(ZMQError) -> HeldMessage? {
        try HeldMessage.receive(from: open("zmq_msg_recv"), options: options)
    }

    /// Sends `message` (shared, not copied); it stays valid for further sends.
    /// - Returns: `false` if it could not be queued because of `dontWait` or a send timeout.
    @discardableResult
    public func send(_ message: HeldMessage, options: SendOptions = []) throws(ZMQError) -> Bool {
        try message.send(to: open("zmq_msg_send"), options: options)
    }
}
