import CZMQ

extension Socket {
    /// Starts reporting `events` of this socket; returns the PAIR socket (same context) on which
    /// they arrive. Read it with `receiveEvent(options:)` on one thread only.
    public func monitor(_ events: SocketEvent.Kind) throws(ZMQError) -> Socket {
        let handle = try open("zmq_socket_monitor")
        let endpoint = InprocName.unique("monitor")
        _ = try retryingInterrupts("zmq_socket_monitor(\(endpoint))") {
            zmq_socket_monitor(handle, endpoint, Int32(events.rawValue))
        }
        let pair = try context.socket(.pair)
        try pair.set(.linger(.zero))
        try pair.connect(endpoint)
        return pair
    }

    /// The next event on a socket returned by `monitor(_:)`; `nil` if none is pending (with
    /// `dontWait`) or the receive timed out.
    public func receiveEvent(options: ReceiveOptions = []) throws(ZMQError) -> SocketEvent? {
        guard let frames = try receiveMultipart(options: options) else { return nil }
        return SocketEvent(frames: frames)
    }
}
