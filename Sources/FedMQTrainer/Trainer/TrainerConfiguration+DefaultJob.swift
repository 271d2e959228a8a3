// A trainer started by hand should train like the ones `fedmq run` starts when nobody says
// otherwise: the default job's local work (50 SGD steps, momentum 0.5) and, for its buffered
// mode, training on without waiting for the next model. `TrainerConfiguration()` keeps the
// library's neutral defaults that the in-process tests are written against; the `trainer`
// executable and `fedmq run` both start from this value instead.

extension TrainerConfiguration {
    /// The default job's trainer: `TrainerConfiguration()` with 50 local steps per update,
    /// momentum 0.5 and no wait for a newer model (asynchronous and buffered modes; a sync
    /// run's trainers need `modelWait = .infinity`).
    public static var defaultJob: TrainerConfiguration {
        var c = TrainerConfiguration()
        c.localWork = .steps(50)
        c.momentum = 0.5
        c.modelWait = 0
        return c
    }
}
