import TensorCore

/// Size bounds derived from the model, shared by the payload check of `MessageCodec` and the
/// `ZMQ_MAXMSGSIZE` limit of the broker's and the aggregator's sockets.
///
/// Two layers: libzmq drops the *connection* of a peer that sends a frame over the socket
/// limit (the message never reaches FedMQ code; the broker counts the disconnect), while a
/// payload under the socket limit but over the codec's bound reaches the aggregator and is
/// rejected as `oversize_payload`. The socket limit is therefore the payload bound plus slack.
public enum MessageSizeLimit {
    /// Header slack of the payload bound, bytes (safetensors JSON header and metadata).
    public static let headerSlack = 65_536

    /// Largest safetensors payload accepted for `layout`, bytes: twice the raw float32 size
    /// plus `headerSlack` (a valid model or update is `4 × count` bytes plus a small header).
    public static func payloadBytes(for layout: ParameterLayout) -> Int {
        layout.count * 8 + headerSlack
    }

    /// Default `ZMQ_MAXMSGSIZE` of sockets carrying models or updates, bytes: the payload bound
    /// plus another `headerSlack`, so slightly oversize payloads still arrive and are counted.
    public static func messageBytes(for layout: ParameterLayout) -> Int {
        payloadBytes(for: layout) + headerSlack
    }

    /// `ZMQ_MAXMSGSIZE` of sockets that carry only control messages or subscriptions, bytes.
    public static let controlMessageBytes = 65_536
}
