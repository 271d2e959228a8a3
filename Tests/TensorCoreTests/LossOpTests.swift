import Foundation
import TensorCore
import Testing

@Suite struct LossOpTests {
    private let batch = 3, classes = 4
    private let labels: [Int32] = [2, 0, 3]

    private func nll(_ logp: [Float]) -> Float {
        LossOp.nll(logp, labels: labels, batch: batch, classes: classes)
    }

    private func crossEntropy(_ logits: [Float]) -> Float {
        LossOp.crossEntropy(logits, labels: labels, batch: batch, classes: classes)
    }

    private func numericGradient(_ x: [Float], eps: Float = 1e-2, _ f: ([Float]) -> Float) -> [Double] {
        x.indices.map { i in
            var plus = x, minus = x
            plus[i] += eps
            minus[i] -= eps
            return (Double(f(plus)) - Double(f(minus))) / Double(2 * eps)
        }
    }

    @Test func nllIsMeanNegativeLogProbabilityAtTheLabels() {
        let logp = randomValues(batch * classes, seed: 3)
        let expected = -(logp[2] + logp[4] + logp[11]) / 3
        #expect(abs(nll(logp) - expected) < 1e-6)
    }

    @Test func nllGradientMatchesFiniteDifferences() {
        let logp = randomValues(batch * classes, seed: 4)
        var grad = [Float](repeating: .nan, count: logp.count)
        _ = LossOp.nll(logp, labels: labels, batch: batch, classes: classes, gradient: &grad)
        #expect(relativeError(grad.map(Double.init), numericGradient(logp, nll)) < 1e-3)
    }

    @Test func crossEntropyEqualsNLLOfLogSoftmax() {
        let logits = randomValues(batch * classes, seed: 5).map { $0 * 4 }
        var logp = [Float](repeating: 0, count: logits.count)
        LogSoftmaxOp.forward(logits, rows: batch, classes: classes, output: &logp)
        #expect(abs(crossEntropy(logits) - nll(logp)) < 1e-5)
        // Each row of log-probabilities sums (in probability) to one.
        for r in 0..<batch {
            let total = (0..<classes).reduce(0.0) { $0 + exp(Double(logp[r * classes + $1])) }
            #expect(abs(total - 1) < 1e-5)
        }
    }

    @Test func crossEntropyGradientMatchesFiniteDifferences() {
        let logits = randomValues(batch * classes, seed: 6).map { $0 * 3 }
        var grad = [Float](repeating: .nan, count: logits.count)
        _ = LossOp.crossEntropy(logits, labels: labels, batch: batch, classes: classes, gradient: &grad)
        #expect(relativeError(grad.map(Double.init), numericGradient(logits, crossEntropy)) < 1e-2)
    }

    @Test func logSoftmaxIsStableForLargeScores() {
        let logits: [Float] = [1000, 0, -1000, 999]
        var logp = [Float](repeating: 0, count: 4)
        LogSoftmaxOp.forward(logits, rows: 1, classes: 4, output: &logp)
        #expect(logp.allSatisfy { $0.isFinite || $0 == -.infinity })
        #expect(abs(logp[0] - -Float(log1p(exp(-1.0)))) < 1e-4)
    }

    @Test func accuracyCountsArgmaxHits() {
        // Row 0 predicts 2 (hit), row 1 predicts 1 (miss), row 2 predicts 3 (hit).
        let scores: [Float] = [0, 1, 5, 2, /**/ 0, 9, 1, 1, /**/ -3, -2, -1, 0]
        #expect(LossOp.correctCount(scores, labels: labels, batch: batch, classes: classes) == 2)
        #expect(abs(LossOp.accuracy(scores, labels: labels, batch: batch, classes: classes) - 2.0 / 3.0) < 1e-6)
    }
}
