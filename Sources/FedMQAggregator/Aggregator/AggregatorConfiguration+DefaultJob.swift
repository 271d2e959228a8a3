// An aggregator started by hand should run the same job as the one `fedmq run` starts when
// nobody says otherwise: the default job of the README (8 shards of Fashion-MNIST cut by
// dirichlet:0.5, evaluation every 2 versions). `AggregatorConfiguration()` keeps the
// library's small neutral defaults that the in-process tests are written against; the
// `aggregator` executable and `fedmq run` both start from this value instead.

extension AggregatorConfiguration {
    /// The default job's aggregator: `AggregatorConfiguration()` with 8 shards cut by
    /// dirichlet:0.5, sync rounds of 8 updates and evaluation every 2 versions.
    public static var defaultJob: AggregatorConfiguration {
        var c = AggregatorConfiguration()
        c.shardCount = 8
        c.roundSize = 8
        c.partition = .dirichlet(alpha: 0.5)
        c.evalEvery = 2
        return c
    }
}
