// `--log-level` and FEDMQ_LOG_LEVEL are parsed into `Logger.Level` at the edge, like every
// other closed set of values, so `--help` lists the levels and a typo is a usage error.
import ArgumentParser
import Logging

extension Logger.Level: @retroactive ExpressibleByArgument {
    /// The level named `argument`, in any case (`WARNING` is `warning`).
    public init?(argument: String) {
        self.init(rawValue: argument.lowercased())
    }
}
