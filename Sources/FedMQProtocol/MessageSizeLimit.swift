import SafeTensorsFormat

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
        payloadBytes(parameterCount: layout.count)
    }

    /// Largest safetensors payload accepted for a model of `parameterCount` float32 scalars, bytes.
    public static func payloadBytes(parameterCount: Int) -> Int {
        parameterCount * 8 + headerSlack
    }

    /// Default `ZMQ_MAXMSGSIZE` of sockets carrying models or updates, bytes: the payload bound
    /// plus another `headerSlack`, so slightly oversize payloads still arrive and are counted.
    public static func messageBytes(for layout: ParameterLayout) -> Int {
        messageBytes(parameterCount: layout.count)
    }

    /// Default `ZMQ_MAXMSGSIZE` for a model of `parameterCount` float32 scalars, bytes (what the
    /// broker uses: it knows the model's size, not its architecture).
    public static func messageBytes(parameterCount: Int) -> Int {
        payloadBytes(parameterCount: parameterCount) + headerSlack
    }

    /// Bytes of updates a queue toward the aggregator holds by default (the broker's update
    /// channel, the aggregator's update socket): 16 MiB. Backlogs are bounded in bytes, so a
    /// stalled aggregator costs the same memory whatever the model's size.
    public static let defaultUpdateQueueBytes = 16 << 20

    /// The high-water mark, in messages, of a queue that holds at most `bytes` of updates of a
    /// model of `parameterCount` float32 scalars (an update is 4 bytes a scalar plus its
    /// header); at least `minimum`.
    public static func queueMessages(bytes: Int, parameterCount: Int, minimum: Int = 2) -> Int {
        max(minimum, bytes / (4 * max(1, parameterCount) + 4096))
    }

    /// `ZMQ_MAXMSGSIZE` of sockets that carry only control messages or subscriptions, bytes.
    public static let controlMessageBytes = 65_536
}
