import FedMQAggregator
import FedMQProtocol
import Foundation
import Testing

@Test func stalenessFunctionsFollowTheirFormulas() throws {
    for d in [UInt64(0), 1, 2, 5, 13, 100] {
        let x = Double(d)
        #expect(try StalenessFunction(parsing: "const").weight(staleness: d) == 1)
        #expect(try StalenessFunction(parsing: "poly:0.5").weight(staleness: d) == pow(x + 1, -0.5))
        #expect(try StalenessFunction(parsing: "sqrt").weight(staleness: d) == 1 / (1 + x).squareRoot())
        let hinge = try StalenessFunction(parsing: "hinge:10,4").weight(staleness: d)
        #expect(hinge == (x <= 4 ? 1 : 1 / (10 * (x - 4) + 1)))
    }
}

@Test func stalenessParsingRejectsBadStrings() {
    for bad in ["", "poly", "poly:-1", "poly:x", "hinge:1", "hinge:1,2,3", "sqrt:2", "exp:1", "poly:nan"] {
        #expect(throws: ConfigurationError.self) { try StalenessFunction(parsing: bad) }
    }
}

@Test func maxStalenessDropsOldUpdatesAndFutureBasesAreRejected() throws {
    let policy = StalenessPolicy(function: .polynomial(a: 1), maxStaleness: 3)
    #expect(try policy.weight(current: 10, base: 7) == 0.25)
    #expect(expectRejection(.tooStale) { _ = try policy.weight(current: 10, base: 6) })
    #expect(expectRejection(.futureVersion) { _ = try policy.weight(current: 10, base: 11) })
}
