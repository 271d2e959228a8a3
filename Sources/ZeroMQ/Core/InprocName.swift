import Synchronization

/// Process-unique `inproc://` endpoint names.
public enum InprocName {
    private static let counter = Atomic<Int>(0)

    /// Returns `"inproc://fedmq-<label>-<n>"` with `n` unique in this process.
    public static func unique(_ label: String) -> String {
        let n = counter.add(1, ordering: .relaxed).newValue
        return "inproc://fedmq-\(label)-\(n)"
    }
}
