// The aggregator's strategy settings (mode, staleness, server optimizer, combination rule)
// parsed from the command line: the `aggregator` executable and `fedmq run` read them. They
// live apart from CommandSupport so the broker and trainer do not link the aggregator.
import ArgumentParser
import CommandSupport
import FedMQAggregator

extension AggregationMode: ExpressibleByArgument {}
extension StalenessFunction: ParsableSetting {}
extension ServerOptimizer.Rule: ParsableSetting {}
extension RobustAggregator: ParsableSetting {}
