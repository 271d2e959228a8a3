import CZMQ

/// The built-in libzmq proxy (`zmq_proxy_steerable`): shuttles messages between two
/// sockets, optionally copying each to a capture socket, until told to stop.
public enum Proxy {
    /// The command that stops a running proxy when received on its control socket.
    public static let terminateCommand = "TERMINATE"

    /// Runs the proxy on the calling thread (blocking: use a dedicated thread) until
    /// `"TERMINATE"` arrives on `control` (see `terminate(via:)` and `controlPair(context:)`)
    /// or the context is shut down. Returns normally in both cases.
    public static func run(frontend: Socket, backend: Socket, capture: Socket? = nil, control: Socket? = nil) throws(ZMQError) {
        let front = try frontend.open("zmq_proxy_steerable")
        let back = try backend.open("zmq_proxy_steerable")
        let capturing = try capture?.open("zmq_proxy_steerable")
        let controlling = try control?.open("zmq_proxy_steerable")
        while true {
            if zmq_proxy_steerable(front, back, capturing, controlling) == 0 { return }
            let error = ZMQError.last("zmq_proxy_steerable")
            if error.isContextTerminated { return }
            if !error.isInterrupted { throw error }
        }
    }

    /// Sends `"TERMINATE"` on the commander end of a control pair.
    public static func terminate(via commander: Socket) throws(ZMQError) {
        try commander.send(terminateCommand)
    }

    /// Creates a connected PAIR/PAIR control channel over a unique `inproc://` endpoint:
    /// pass `control` to `run(...)` (it moves to the proxy thread) and keep `commander`
    /// for `terminate(via:)`.
    public static func controlPair(context: Context) throws(ZMQError) -> (commander: Socket, control: Socket) {
        let endpoint = InprocName.unique("proxy-control")
        let control = try context.socket(.pair)
        try control.bind(endpoint)
        let commander = try context.socket(.pair)
        try commander.connect(endpoint)
        return (commander, control)
    }
}
