/// One GEMM problem size for benchmarking: `C[m×n] = op(A)[m×k] · op(B)[k×n]`.
public struct GemmShape: Sendable, Hashable, CustomStringConvertible {
    /// What the product computes in the model, e.g. "conv2 forward".
    public var label: String
    public var m: Int, n: Int, k: Int
    public var transA: Bool, transB: Bool

    public init(_ label: String, m: Int, n: Int, k: Int, transA: Bool = false, transB: Bool = false) {
        self.label = label
        self.m = m
        self.n = n
        self.k = k
        self.transA = transA
        self.transB = transB
    }

    /// Floating-point operations of one product (`2·m·n·k`).
    public var flops: Double { 2 * Double(m) * Double(n) * Double(k) }

    public var description: String {
        "\(m)x\(n)x\(k) \(transA ? "T" : "N")\(transB ? "T" : "N")"
    }

    /// The products of one training step of the default CNN and the MLP at `batch` samples,
    /// plus a large square product for peak throughput.
    public static func modelShapes(batch: Int) -> [GemmShape] {
        [
            GemmShape("cnn conv1 fwd (per sample)", m: 10, n: 576, k: 25),
            GemmShape("cnn conv2 fwd (per sample)", m: 20, n: 64, k: 250),
            GemmShape("cnn conv1 dW (per sample)", m: 10, n: 25, k: 576, transB: true),
            GemmShape("cnn conv2 dW (per sample)", m: 20, n: 250, k: 64, transB: true),
            GemmShape("cnn conv2 dX (per sample)", m: 250, n: 64, k: 20, transA: true),
            GemmShape("cnn fc1 fwd", m: batch, n: 50, k: 320, transB: true),
            GemmShape("cnn fc1 dX", m: batch, n: 320, k: 50),
            GemmShape("cnn fc1 dW", m: 50, n: 320, k: batch, transA: true),
            GemmShape("mlp fc1 fwd", m: batch, n: 200, k: 784, transB: true),
            GemmShape("mlp fc1 dW", m: 200, n: 784, k: batch, transA: true),
            GemmShape("mlp fc2 fwd", m: batch, n: 200, k: 200, transB: true),
            GemmShape("mlp fc2 dX", m: batch, n: 200, k: 200),
            GemmShape("square", m: 512, n: 512, k: 512),
        ]
    }
}
