import FedMQTools

extension LaunchConfiguration {
    /// A buffered MLP run of `trainers` trainer processes on IID shards of 3 000 samples, from
    /// the built executables into `directory`, evaluating every version and with no target
    /// accuracy (tests add their stop condition). For `ProcessFederation` tests.
    static func bufferedMLP(directory: String, trainers: Int) -> LaunchConfiguration {
        var c = LaunchConfiguration(executablesDirectory: LauncherEndToEndTests.executables.path, outputDirectory: directory)
        c.trainers = trainers
        c.mode = .buffered
        c.bufferSize = 2
        c.modelName = "mlp"
        c.partition = .iid
        c.targetAccuracy = nil
        c.evalEvery = 1
        c.trainerArguments = ["--sample-limit", "3000"]
        return c
    }
}
