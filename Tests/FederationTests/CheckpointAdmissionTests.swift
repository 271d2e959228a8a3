// CheckpointAdmission without I/O: every case of what an aggregator may do with the
// checkpoints it finds at start (resume, refuse, archive, resume under another strategy).
import FedMQAggregator
import FedMQProtocol
import Testing

private let fingerprint: UInt64 = 0xABCD

private func configuration(_ change: (inout AggregatorConfiguration) -> Void = { _ in }) -> AggregatorConfiguration {
    var c = AggregatorConfiguration()
    c.runID = 7
    c.mode = .buffered
    c.checkpointDirectory = "/data/ckpt"
    change(&c)
    return c
}

private func state(_ version: UInt64, run: UInt64 = 7, fingerprint f: UInt64 = fingerprint,
                   of c: AggregatorConfiguration = configuration()) -> CheckpointState {
    CheckpointState(version: version, runID: run, fingerprint: f, strategy: c.strategyDescription, mode: c.mode.rawValue,
                    optimizer: c.checkpointedOptimizer, optimizerSteps: 12,
                    stateVectorCounts: ["optimizer.m": 8, "optimizer.v": 8])
}

private func refusal(_ code: String, _ body: () throws -> CheckpointAdmission) -> String? {
    do {
        _ = try body()
        return nil
    } catch let error as ConfigurationError {
        return error.code == code ? error.message : "wrong code \(error.code)"
    } catch {
        return "\(error)"
    }
}

@Suite struct CheckpointAdmissionTests {
    @Test func anEmptyDirectoryStartsFreshAndThisRunsCheckpointsResume() throws {
        #expect(try CheckpointAdmission.decide(states: [], configuration: configuration(), fingerprint: fingerprint) == .fresh)
        let mine = [state(3), state(4)]
        #expect(try CheckpointAdmission.decide(states: mine, configuration: configuration(), fingerprint: fingerprint) == .resume)
        // --new-run acts only on a conflict: resumable checkpoints are resumed.
        let c = configuration { $0.startNewRun = true }
        #expect(try CheckpointAdmission.decide(states: mine, configuration: c, fingerprint: fingerprint) == .resume)
    }

    @Test func anotherModelsCheckpointsAreRefusedNamingThemUnlessANewRunIsAsked() throws {
        let theirs = [state(40, fingerprint: 0x1234), state(41, fingerprint: 0x1234)]
        let message = try #require(refusal("checkpoint_foreign") {
            try CheckpointAdmission.decide(states: theirs, configuration: configuration(), fingerprint: fingerprint)
        })
        #expect(message.contains("/data/ckpt") && message.contains("40…41") && message.contains("another model"))
        #expect(message.contains("--new-run") && message.contains("--checkpoint-dir"))
        let c = configuration { $0.startNewRun = true }
        guard case .archive(let versions, _) = try CheckpointAdmission.decide(states: theirs, configuration: c, fingerprint: fingerprint)
        else { Issue.record("not archived"); return }
        #expect(versions == [40, 41])
    }

    @Test func anotherRunsCheckpointsOfThisModelAreRefusedToo() throws {
        let theirs = [state(9, run: 3), state(5)]
        let message = try #require(refusal("checkpoint_foreign") {
            try CheckpointAdmission.decide(states: theirs, configuration: configuration(), fingerprint: fingerprint)
        })
        #expect(message.contains("run 3") && message.contains("this model"))
        let c = configuration { $0.startNewRun = true }
        #expect(try CheckpointAdmission.decide(states: theirs, configuration: c, fingerprint: fingerprint)
                == .archive(versions: [9], reason: "checkpoints of run 3 (versions 9…9, this model), not of run 7 with this model"))
    }

    @Test func anotherModeOrOptimizerIsRefusedOrResumedSayingWhatIsDropped() throws {
        let written = configuration { $0.optimizer = try! ServerOptimizer.Rule(parsing: "adam:0.01") }
        let states = [state(5, of: written), state(6, of: written)]
        for now in [configuration(), configuration { $0.mode = .sync; $0.optimizer = written.optimizer }] {
            let message = try #require(refusal("checkpoint_strategy") {
                try CheckpointAdmission.decide(states: states, configuration: now, fingerprint: fingerprint)
            })
            #expect(message.contains("--change-strategy") && message.contains("--new-run"))
        }
        let changing = configuration { $0.allowStrategyChange = true }
        guard case .resumeChangingStrategy(let dropped) = try CheckpointAdmission.decide(
            states: states, configuration: changing, fingerprint: fingerprint)
        else { Issue.record("not resumed"); return }
        #expect(dropped.contains("server optimizer adam") && dropped.contains("optimizer.m, optimizer.v")
                && dropped.contains("12 steps"))
        let over = configuration { $0.startNewRun = true }
        guard case .archive(let versions, _) = try CheckpointAdmission.decide(states: states, configuration: over, fingerprint: fingerprint)
        else { Issue.record("not archived"); return }
        #expect(versions == [5, 6])
    }

    @Test func checkpointsFromBeforeTheModeWasRecordedResume() throws {
        var old = state(8)
        (old.mode, old.optimizer) = (nil, nil)
        #expect(try CheckpointAdmission.decide(states: [old], configuration: configuration { $0.mode = .async },
                                               fingerprint: fingerprint) == .resume)
    }
}
