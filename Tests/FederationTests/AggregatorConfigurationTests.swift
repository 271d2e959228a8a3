import FedMQAggregator
import FedMQProtocol
import Testing

@Test func configurationBuildsTheStrategyOfItsMode() throws {
    var c = AggregatorConfiguration()
    c.mode = .sync
    #expect(try c.makeStrategy(model: [0, 0]) is SyncFedAvg)
    c.mode = .async
    #expect(try c.makeStrategy(model: [0, 0]) is FedAsync)
    c.mode = .buffered
    let buff = try #require(try c.makeStrategy(model: [0, 0], version: 9) as? FedBuff)
    #expect(buff.version == 9 && buff.bufferSize == c.bufferSize)
}

@Test func invalidConfigurationsAreRejectedWithAMessage() {
    let cases: [(inout AggregatorConfiguration) -> Void] = [
        { $0.staleness = .polynomial(a: -1) }, { $0.optimizer = .adam(lr: -1, beta1: 0.9, beta2: 0.99, epsilon: 1e-3) },
        { $0.aggregator = .trimmedMean(fraction: 0.5) }, { $0.normPolicy = .clip(to: 0) },
        { $0.partition = .dirichlet(alpha: 0) }, { $0.roundSize = 0 }, { $0.alpha = 1.5 }, { $0.bufferSize = 0 },
        { $0.shardCount = 0 }, { $0.targetAccuracy = 2 }, { $0.modelEndpoint = "broker:5555" }, { $0.history = 0 },
    ]
    for mutate in cases {
        var c = AggregatorConfiguration()
        mutate(&c)
        #expect(throws: ConfigurationError.self) { try c.validate() }
    }
    #expect(throws: Never.self) { try AggregatorConfiguration().validate() }
}
