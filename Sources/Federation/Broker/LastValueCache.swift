/// The last multipart message published on each topic (the first frame is the topic).
/// Memory is O(number of topics); the cached arrays are shared, not copied, when replayed.
struct LastValueCache {
    private var lastMessage: [[UInt8]: [[UInt8]]] = [:]

    /// Number of topics held.
    var count: Int { lastMessage.count }

    /// Remembers `message` as the latest one of its topic (ignores empty messages).
    mutating func store(_ message: [[UInt8]]) {
        guard let topic = message.first else { return }
        lastMessage[topic] = message
    }

    /// The cached messages whose topic starts with `prefix` (every topic for an empty prefix).
    func messages(matching prefix: ArraySlice<UInt8>) -> [[[UInt8]]] {
        lastMessage.compactMap { topic, message in topic.starts(with: prefix) ? message : nil }
    }
}
