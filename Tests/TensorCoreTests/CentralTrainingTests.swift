import TensorCore
import Testing

/// `CentralTraining` on a small learnable synthetic set: each class is a fixed random prototype
/// image plus noise.
@Suite struct CentralTrainingTests {
    private func dataset(count: Int, seed: UInt64) throws -> Dataset {
        let prototypes = (0..<10).map { randomValues(784, seed: 1000 + UInt64($0)) }
        var r = SeededGenerator(seed: seed)
        var images: [Float] = []
        var labels: [Int32] = []
        for _ in 0..<count {
            let label = Int(r.next() % 10)
            labels.append(Int32(label))
            images += prototypes[label].map { $0 + (r.nextUnitFloat() * 2 - 1) }
        }
        return try Dataset(images: images, labels: labels)
    }

    private func configuration() -> TrainingConfiguration {
        var c = TrainingConfiguration()
        c.model = "mlp"
        c.epochs = 2
        c.batchSize = 16
        c.progressInterval = 5
        c.seed = 3
        c.learningRate = 0.05
        return c
    }

    @Test func learnsAndReportsEveryEpoch() throws {
        let training = try CentralTraining(configuration: configuration(), train: dataset(count: 160, seed: 1),
                                           test: dataset(count: 100, seed: 2))
        var progress = 0
        let reports = try training.run { event in
            if case .progress = event { progress += 1 }
        }
        #expect(reports.map(\.epoch) == [1, 2])
        #expect(progress == 4)  // 10 batches per epoch, a report every 5
        #expect(reports[1].trainLoss < reports[0].trainLoss)
        #expect(reports[1].test.accuracy > 0.8)  // chance is 0.1
        #expect(reports.allSatisfy { $0.samplesPerSecond > 0 && $0.test.count == 100 })
    }

    @Test func sameSeedSameRun() throws {
        let (train, test) = (try dataset(count: 64, seed: 1), try dataset(count: 32, seed: 2))
        var c = configuration()
        c.epochs = 1
        let a = try CentralTraining(configuration: c, train: train, test: test)
        let b = try CentralTraining(configuration: c, train: train, test: test)
        #expect(try a.run().map(\.test) == b.run().map(\.test))
        #expect(a.model.parameters == b.model.parameters)
    }

    @Test func limitAndBadSettingsAreHandled() throws {
        var c = configuration()
        c.epochs = 1
        c.limit = 32
        let reports = try CentralTraining(configuration: c, train: dataset(count: 64, seed: 1),
                                          test: dataset(count: 64, seed: 2)).run()
        #expect(reports[0].test.count == 32)
        c.batchSize = 0
        #expect(throws: ModelError.self) { try CentralTraining(configuration: c, train: dataset(count: 8, seed: 1), test: dataset(count: 8, seed: 2)) }
        c = configuration()
        c.model = "vgg"
        #expect(throws: ModelError.self) { try CentralTraining(configuration: c, train: dataset(count: 8, seed: 1), test: dataset(count: 8, seed: 2)) }
    }
}
