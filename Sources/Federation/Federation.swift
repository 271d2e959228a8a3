// The federation library: wire protocol, strategies, staleness, partitions, checkpoints, metrics.
