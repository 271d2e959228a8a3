import CZMQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Counts for one multipart message moved by `Socket.forwardMessage(to:)`.
public struct ForwardedMessage: Sendable, Equatable {
    /// Number of frames in the message.
    public var frames: Int
    /// Total payload bytes over all frames.
    public var bytes: Int
}

extension Socket {
    /// Sends a multipart message atomically: either all `frames` are queued or none
    /// (every frame but the last is sent with `ZMQ_SNDMORE`). Frames of 32 KiB and more
    /// are sent without copying (the array is retained until libzmq has sent it).
    ///
    /// - Returns: `false` if the message could not be queued because of `dontWait` or a
    ///   send timeout (`EAGAIN`); `true` once queued.
    /// - Throws: `ZMQError` for other failures (`ETERM` when the context shuts down).
    @discardableResult
    public func send(_ frames: [[UInt8]], options: SendOptions = []) throws(ZMQError) -> Bool {
        guard !frames.isEmpty else {
            throw ZMQError.invalidArgument("a message needs at least one frame", operation: "zmq_msg_send")
        }
        let handle = try open("zmq_msg_send")
        for (index, frame) in frames.enumerated() {
            let more = index < frames.count - 1
            do {
                try sendFrame(frame, handle: handle, flags: options.rawValue | (more ? ZMQ_SNDMORE : 0))
            } catch where error.isWouldBlock && index == 0 {
                return false
            }
        }
        return true
    }

    /// Sends a single-frame message (see `send(_:options:)`).
    @discardableResult
    public func send(_ frame: [UInt8], options: SendOptions = []) throws(ZMQError) -> Bool {
        try send([frame], options: options)
    }

    /// Sends a single-frame message holding the UTF-8 bytes of `text`.
    @discardableResult
    public func send(_ text: String, options: SendOptions = []) throws(ZMQError) -> Bool {
        try send([Array(text.utf8)], options: options)
    }

    /// Receives one whole multipart message (any size; frames are copied out of libzmq's
    /// buffers into arrays).
    ///
    /// - Returns: the frames, or `nil` if nothing arrived because of `dontWait` or the
    ///   receive timeout (`EAGAIN`).
    /// - Throws: `ZMQError` for other failures (`ETERM` when the context shuts down).
    public func receiveMultipart(options: ReceiveOptions = []) throws(ZMQError) -> [[UInt8]]? {
        try receiveMultipart(options: options, property: nil)?.frames
    }

    /// Receives one whole multipart message, like `receiveMultipart(options:)`, together with
    /// the value of one metadata property (`zmq_msg_gets`, e.g. `"User-Id"`: what the ZAP
    /// handler authenticated; UTF-8, empty when absent).
    public func receiveMultipart(options: ReceiveOptions = [], readingProperty property: String)
        throws(ZMQError) -> (frames: [[UInt8]], property: [UInt8])?
    {
        try receiveMultipart(options: options, property: property)
    }

    private func receiveMultipart(options: ReceiveOptions, property: String?)
        throws(ZMQError) -> (frames: [[UInt8]], property: [UInt8])?
    {
        let handle = try open("zmq_msg_recv")
        var frames: [[UInt8]] = []
        var propertyValue: [UInt8] = []
        var more = true
        while more {
            let flags = frames.isEmpty ? options.rawValue : 0
            var message = zmq_msg_t()
            zmq_msg_init(&message)
            defer { zmq_msg_close(&message) }
            do {
                _ = try retryingInterrupts("zmq_msg_recv") { zmq_msg_recv(&message, handle, flags) }
            } catch where error.isWouldBlock && frames.isEmpty {
                return nil
            }
            // A ROUTER's routing-id frame may carry no metadata: take the first frame that has it.
            if let property, propertyValue.isEmpty, let value = zmq_msg_gets(&message, property) {
                propertyValue = Array(String(cString: value).utf8)
            }
            frames.append(Self.copyBytes(of: &message))
            more = zmq_msg_more(&message) != 0
        }
        return (frames, propertyValue)
    }

    /// Receives a message and returns its first frame (remaining frames are discarded);
    /// `nil` on timeout / `dontWait` with nothing pending.
    public func receive(options: ReceiveOptions = []) throws(ZMQError) -> [UInt8]? {
        try receiveMultipart(options: options)?.first
    }

    /// Moves one whole multipart message from this socket to `destination` without copying
    /// payloads (libzmq message handles are passed along, as `zmq_proxy` does).
    ///
    /// - Parameter appendingProperty: if set, the value of this metadata property of the
    ///   received message (`zmq_msg_gets`, e.g. `"User-Id"`, which a ZAP handler sets to what
    ///   it authenticated) is sent as one extra last frame, UTF-8, empty when the property is
    ///   absent. The sender cannot forge that frame: it is always the last one.
    /// - Returns: frame and byte counts (without the appended frame), or `nil` if nothing was
    ///   pending and `options` contains `dontWait` (or the receive timeout expired).
    public func forwardMessage(
        to destination: Socket, options: ReceiveOptions = [], appendingProperty property: String? = nil
    ) throws(ZMQError) -> ForwardedMessage? {
        let source = try open("zmq_msg_recv")
        let target = try destination.open("zmq_msg_send")
        var counts = ForwardedMessage(frames: 0, bytes: 0)
        var propertyValue: [UInt8] = []
        var more = true
        while more {
            var message = zmq_msg_t()
            zmq_msg_init(&message)
            defer { zmq_msg_close(&message) }
            let flags = counts.frames == 0 ? options.rawValue : 0
            do {
                _ = try retryingInterrupts("zmq_msg_recv") { zmq_msg_recv(&message, source, flags) }
            } catch where error.isWouldBlock && counts.frames == 0 {
                return nil
            }
            // A ROUTER's routing-id frame may carry no metadata: take the first frame that has it.
            if let property, propertyValue.isEmpty, let value = zmq_msg_gets(&message, property) {
                propertyValue = Array(String(cString: value).utf8)
            }
            more = zmq_msg_more(&message) != 0
            counts.frames += 1
            counts.bytes += zmq_msg_size(&message)
            let sendMore = more || property != nil
            _ = try retryingInterrupts("zmq_msg_send") { zmq_msg_send(&message, target, sendMore ? ZMQ_SNDMORE : 0) }
        }
        if property != nil { try sendFrame(propertyValue, handle: target, flags: 0) }
        return counts
    }

    private func sendFrame(_ frame: [UInt8], handle: UnsafeMutableRawPointer, flags: Int32) throws(ZMQError) {
        var message = zmq_msg_t()
        try Self.initialize(&message, with: frame)
        do {
            _ = try retryingInterrupts("zmq_msg_send") { zmq_msg_send(&message, handle, flags) }
        } catch {
            zmq_msg_close(&message)  // ownership was not transferred to libzmq
            throw error
        }
    }

    /// Fills `message` with `frame`: copied if small, zero-copy if large.
    private static func initialize(_ message: inout zmq_msg_t, with frame: [UInt8]) throws(ZMQError) {
        if frame.count >= ZeroCopyPayload.threshold {
            let payload = ZeroCopyPayload(frame)
            let hint = Unmanaged.passRetained(payload).toOpaque()
            let data = payload.bytes.withUnsafeBufferPointer { UnsafeMutableRawPointer(mutating: $0.baseAddress!) }
            guard zmq_msg_init_data(&message, data, frame.count, releaseZeroCopyPayload, hint) == 0 else {
                Unmanaged<ZeroCopyPayload>.fromOpaque(hint).release()
                throw ZMQError.last("zmq_msg_init_data")
            }
        } else {
            guard zmq_msg_init_size(&message, frame.count) == 0 else { throw ZMQError.last("zmq_msg_init_size") }
            if !frame.isEmpty {
                frame.withUnsafeBytes { zmq_msg_data(&message).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            }
        }
    }

    private static func copyBytes(of message: inout zmq_msg_t) -> [UInt8] {
        let size = zmq_msg_size(&message)
        guard size > 0, let data = zmq_msg_data(&message) else { return [] }
        return [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            buffer.baseAddress!.initialize(from: data.assumingMemoryBound(to: UInt8.self), count: size)
            count = size
        }
    }
}
