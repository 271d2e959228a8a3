import Foundation

/// Classification losses over a batch, averaged over the batch (PyTorch's `reduction='mean'`).
///
/// Labels are class indices in `0..<classes`; callers validate them (see `Sequential`).
public enum LossOp {
    /// Negative log-likelihood of log-probabilities `logProbabilities` `[batch, classes]`:
    /// `−(1/batch) Σ_b logp[b, label_b]`. When `gradient` is given it is overwritten with
    /// `∂loss/∂logp` (`−1/batch` at each label, 0 elsewhere).
    public static func nll(
        _ logProbabilities: UnsafePointer<Float>, labels: UnsafePointer<Int32>, batch: Int, classes: Int,
        gradient: UnsafeMutablePointer<Float>? = nil
    ) -> Float {
        var total: Double = 0
        for b in 0..<batch { total -= Double(logProbabilities[b * classes + Int(labels[b])]) }
        if let gradient {
            gradient.update(repeating: 0, count: batch * classes)
            for b in 0..<batch { gradient[b * classes + Int(labels[b])] = -1 / Float(batch) }
        }
        return Float(total / Double(batch))
    }

    /// Cross-entropy of raw scores `logits` `[batch, classes]` (log-softmax then NLL, without
    /// materialising the log-probabilities). When `gradient` is given it is overwritten with
    /// `∂loss/∂logits = (softmax − onehot) / batch`.
    public static func crossEntropy(
        _ logits: UnsafePointer<Float>, labels: UnsafePointer<Int32>, batch: Int, classes: Int,
        gradient: UnsafeMutablePointer<Float>? = nil
    ) -> Float {
        var total: Double = 0
        for b in 0..<batch {
            let row = logits + b * classes
            var largest = -Float.infinity
            for c in 0..<classes { largest = max(largest, row[c]) }
            var sum: Float = 0
            for c in 0..<classes { sum += expf(row[c] - largest) }
            let logSum = largest + logf(sum)
            total -= Double(row[Int(labels[b])] - logSum)
            guard let gradient else { continue }
            let g = gradient + b * classes
            for c in 0..<classes { g[c] = expf(row[c] - logSum) / Float(batch) }
            g[Int(labels[b])] -= 1 / Float(batch)
        }
        return Float(total / Double(batch))
    }

    /// Number of rows whose largest score (first on ties) is at the label.
    public static func correctCount(
        _ scores: UnsafePointer<Float>, labels: UnsafePointer<Int32>, batch: Int, classes: Int
    ) -> Int {
        var correct = 0
        for b in 0..<batch where argmax(scores + b * classes, count: classes) == Int(labels[b]) { correct += 1 }
        return correct
    }

    /// Fraction of rows classified correctly, in [0, 1].
    public static func accuracy(
        _ scores: UnsafePointer<Float>, labels: UnsafePointer<Int32>, batch: Int, classes: Int
    ) -> Float {
        batch == 0 ? 0 : Float(correctCount(scores, labels: labels, batch: batch, classes: classes)) / Float(batch)
    }

    /// Index of the first largest of `count` values.
    public static func argmax(_ x: UnsafePointer<Float>, count: Int) -> Int {
        var best = 0
        for i in 1..<max(count, 1) where x[i] > x[best] { best = i }
        return best
    }
}
