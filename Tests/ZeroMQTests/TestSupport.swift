import ZeroMQ

/// Binds `socket` to an ephemeral TCP port on the loopback interface and returns the
/// resolved endpoint, so parallel tests never collide.
func bindEphemeral(_ socket: Socket) throws -> String {
    try socket.bind("tcp://127.0.0.1:*")
    return try socket.lastEndpoint()
}

/// Creates a socket with a receive timeout (so a failing test never hangs) and zero linger.
func makeSocket(_ context: Context, _ type: SocketType, timeout: Duration = .seconds(5)) throws -> Socket {
    let socket = try context.socket(type)
    try socket.set(.linger(.zero), .receiveTimeout(timeout), .sendTimeout(timeout))
    return socket
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
