import ZeroMQ

/// The last multipart message published on each topic (the first frame is the topic).
/// Memory is O(number of topics); messages stay in libzmq's reference-counted buffers and are
/// shared, not copied, when forwarded or replayed.
struct LastValueCache {
    private var lastMessage: [[UInt8]: HeldMessage] = [:]

    /// Number of topics held.
    var count: Int { lastMessage.count }

    /// Remembers `message` as the latest one of its topic.
    mutating func store(_ message: HeldMessage) {
        lastMessage[message.bytes(ofFrame: 0)] = message
    }

    /// The cached messages whose topic starts with `prefix` (every topic for an empty prefix).
    func messages(matching prefix: ArraySlice<UInt8>) -> [HeldMessage] {
        lastMessage.compactMap { topic, message in topic.starts(with: prefix) ? message : nil }
    }
}
