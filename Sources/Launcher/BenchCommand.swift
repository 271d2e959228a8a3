import ArgumentParser
import CommandSupport
import FedMQAggregator
import FedMQBroker
import FedMQMonitoring
import FedMQTools
import Foundation
import TensorCore

/// `fedmq bench`: kernel and training throughput on one thread, beside OpenBLAS and PyTorch.
///
/// Run in release: `swift build -c release && .build/release/fedmq bench`.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure kernels, training, the broker against raw libzmq and aggregation against memcpy.",
        discussion: """
            Without section names every section runs (minus those turned off with --no-<section>); \
            with names (gemm conv vector safetensors federation broker aggregation train), or with \
            --broker / --aggregation, only those run.
            Environment: FEDMQ_BENCH_PEER_SCRIPT overrides --peer-script; FEDMQ_BENCH_SECTIONS \
            (comma-separated) stands for the section names.
            Vector GB/s count every element read or written (STREAM convention); broker and \
            aggregation MB/s and GB/s count payload bytes delivered or merged, once.
            """
    )

    @Argument(help: "Sections to run: gemm conv vector safetensors federation broker aggregation train. (default: all)")
    var sections: [String] = []

    @Flag(help: "Select the broker section: forwarding MB/s beside raw libzmq PUSH→PULL and PUB→SUB.")
    var broker = false

    @Flag(help: "Select the aggregation section: strategies' merge updates/s and GB/s beside memcpy.")
    var aggregation = false

    @Option(help: "Broker section: payload sizes in bytes, comma-separated. (default: 87360,1048576,16777216,67108864)")
    var brokerPayloads: String?

    @Option(help: "Broker section: MB delivered to each receiver per timed pass.")
    var brokerMegabytes = 256

    @Option(help: "Broker section: libzmq I/O threads of the benchmarked broker.")
    var brokerIoThreads = BrokerConfiguration().ioThreads

    @Flag(inversion: .prefixedNo, help: "GEMM GFLOP/s on the models' shapes (and OpenBLAS if loadable).")
    var gemm = true

    @Flag(inversion: .prefixedNo, help: "The CNN's convolution layers (im2col + GEMM), ms per batch.")
    var conv = true

    @Flag(inversion: .prefixedNo, help: "axpy/axpby/dot GB/s beside memcpy GB/s.")
    var vector = true

    @Flag(inversion: .prefixedNo, help: "safetensors flat encode/decode GB/s on a 64 MiB parameter vector.")
    var safetensors = true

    @Flag(inversion: .prefixedNo, help: "Federation: CRC-32C GB/s, update intake (validate + decode + FedBuff) updates/s, model broadcast decode old vs fused.")
    var federation = true

    @Flag(inversion: .prefixedNo, help: "Training samples/s of the models (SGD, batch --batch-size).")
    var train = true

    @Flag(inversion: .prefixedNo, help: "Run the PyTorch peer benchmark script for comparison.")
    var peer = true

    @Option(name: .customLong("model"), help: "Architecture to time in the training section (repeatable).")
    var models: [String] = ["cnn", "mlp"]

    @Option(help: "Timed seconds per model in the training section (3 rounds, best reported).")
    var trainSeconds = 2.0

    @Option(help: "Clock: wall or cpu (thread CPU time; use on a busy machine). Also passed to the peer script.")
    var clock: BenchmarkClock.Mode = .wall

    @Option(help: "Mini-batch size used for the GEMM shapes.")
    var batchSize = 64

    @Option(help: "Size of each vector in the bandwidth benchmark, in MiB.")
    var vectorMegabytes = 64

    @Option(help: "Timed passes of the bandwidth benchmark (median reported).")
    var repetitions = 10

    @Option(help: "PyTorch peer script, run as `python3 <script> --json`.")
    var peerScript = EnvironmentValues().string("FEDMQ_BENCH_PEER_SCRIPT") ?? "benchmarks/peer_pytorch.py"

    static let sectionNames = ["gemm", "conv", "vector", "safetensors", "federation", "broker", "aggregation", "train"]

    func validate() throws {
        for name in selectedSections where !Self.sectionNames.contains(name) {
            throw ValidationError("unknown section '\(name)' (sections: \(Self.sectionNames.joined(separator: " ")))")
        }
        guard brokerMegabytes > 0, (1...64).contains(brokerIoThreads) else {
            throw ValidationError("--broker-megabytes must be positive and --broker-io-threads in 1…64")
        }
        _ = try payloadSizes()
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
        guard vectorMegabytes > 0 else { throw ValidationError("--vector-megabytes must be positive") }
        guard repetitions > 0 else { throw ValidationError("--repetitions must be positive") }
        guard trainSeconds > 0 else { throw ValidationError("--train-seconds must be positive") }
        for model in models {
            do {
                _ = try ModelArchitecture.named(model)
            } catch {
                throw ValidationError("--model: \(error)")
            }
        }
    }

    func run() async throws {
        print("Clock: \(clock == .wall ? "wall time" : "thread CPU time")\n")
        try await BenchmarkClock.$mode.withValue(clock) { try await runSections() }
    }

    private func runSections() async throws {
        if runs("gemm", gemm) { printGemm() }
        if runs("conv", conv) { printConvolutions() }
        if runs("vector", vector) { printBandwidth() }
        if runs("safetensors", safetensors) { printSafeTensors() }
        if runs("federation", federation) { printFederation() }
        if runs("broker", true) { try await printTransport() }
        if runs("aggregation", true) { printAggregation() }
        if runs("train", train) { try printTraining() }
    }

    /// Section names chosen by arguments, flags or FEDMQ_BENCH_SECTIONS (empty: all).
    var selectedSections: Set<String> {
        var names = Set(sections.map { $0.lowercased() })
        if names.isEmpty, let env = EnvironmentValues().string("FEDMQ_BENCH_SECTIONS") {
            names = Set(env.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty })
        }
        if broker { names.insert("broker") }
        if aggregation { names.insert("aggregation") }
        return names
    }

    private func runs(_ section: String, _ enabled: Bool) -> Bool {
        let selected = selectedSections
        return selected.isEmpty ? enabled : selected.contains(section)
    }

    private func printTraining() throws {
        print("Training, one thread, batch \(batchSize), SGD lr 0.01 momentum 0.5: samples/s")
        var ours: [String: Double] = [:]
        for model in models {
            ours[model] = try TrainingBenchmark.samplesPerSecond(
                ModelArchitecture.named(model), batch: batchSize, seconds: trainSeconds)
        }
        let torch = peer ? PeerBenchmark.run(script: peerScript, batchSize: batchSize, clock: clock) : .failure(.disabled)
        for model in models {
            let mine = ours[model] ?? 0
            let theirs: String
            switch torch {
            case .success(let result):
                let peer = result.samplesPerSecond(model)
                theirs = fixed(peer, 0) + " (PyTorch \(result.torch); fedmq = \(fixed(mine / peer, 2))×)"
            case .failure(let error): theirs = error.description
            }
            print("  " + pad(model, 6) + "fedmq " + pad(fixed(mine, 0), 10) + "pytorch " + theirs)
        }
        print("")
    }

    private func printGemm() {
        let blas = ReferenceBLAS.openBLAS()
        print("GEMM, one thread, GFLOP/s (row-major, C = op(A)·op(B))")
        print(pad("product", 30) + pad("shape", 18) + pad("fedmq", 10) + "openblas")
        for shape in GemmShape.modelShapes(batch: batchSize) {
            let ours = GemmBenchmark.gflops(shape)
            let theirs = blas.map { fixed(GemmBenchmark.gflops(shape, kernel: $0), 1) } ?? "n/a"
            print(pad(shape.label, 30) + pad(shape.description, 18) + pad(fixed(ours, 1), 10) + theirs)
        }
        print("")
    }

    private func printConvolutions() {
        print("Convolution layers (im2col + GEMM), batch \(batchSize): ms per batch (GFLOP/s)")
        for r in ConvolutionBenchmark.cnnLayers(batch: batchSize) {
            print("  " + pad(r.label, 28) + "forward " + pad(fixed(r.forwardMilliseconds, 3) + " (\(fixed(r.forwardGFLOPS, 1)))", 18)
                  + "backward " + fixed(r.backwardMilliseconds, 3) + " (\(fixed(r.backwardGFLOPS, 1)))")
        }
        let pool = PoolingBenchmark.cnnPool1(batch: batchSize)
        print("  " + pad("cnn pool1+relu 2x2 24x24", 28) + "forward " + pad(fixed(pool.forward, 3), 18)
              + "backward " + fixed(pool.backward, 3))
        print("")
    }

    private func printBandwidth() {
        let r = BandwidthBenchmark.run(megabytes: vectorMegabytes, repetitions: repetitions)
        print("Vectors of \(vectorMegabytes) MiB, median of \(repetitions) passes, GB/s (STREAM counting)")
        print("  memcpy \(fixed(r.memcpy, 1))   axpy \(fixed(r.axpy, 1)) (\(fixed(100 * r.axpy / r.memcpy, 0))% of memcpy)"
              + "   axpby \(fixed(r.axpby, 1))   dot \(fixed(r.dot, 1))")
        print("")
    }

    private func printSafeTensors() {
        let r = SafeTensorsBenchmark.run(repetitions: repetitions)
        print("safetensors flat payload of \(fixed(r.megabytes, 1)) MB, median of \(repetitions) passes")
        print("  encode \(fixed(r.encodeGBps, 2)) GB/s (\(fixed(r.encodeMilliseconds, 1)) ms)"
              + "   decode \(fixed(r.decodeGBps, 2)) GB/s (\(fixed(r.decodeMilliseconds, 1)) ms)")
        print("  reused buffers: encode \(fixed(r.reusedEncodeGBps, 2)) GB/s   decode \(fixed(r.reusedDecodeGBps, 2)) GB/s")
        print("")
    }

    /// Engine intake with Prometheus metrics off and exported after every update (an upper
    /// bound: the aggregator exports at most every 0.25 s), in one sitting.
    private func printEngineIntake() {
        let logger = ServiceCommand.logger(label: "fedmq.bench", level: .error)
        for (model, count) in [("cnn", 21_840), ("mlp", 199_210)] {
            do {
                let off = try FederationBenchmark.engineIntake(parameters: count, metricsFactory: nil, logger: logger, repetitions: repetitions)
                let on = try FederationBenchmark.engineIntake(parameters: count, metricsFactory: PrometheusBackend().factory,
                                                              logger: logger, repetitions: repetitions)
                print("  engine intake \(pad(model, 4)) \(fixed(off, 0)) updates/s without metrics, \(fixed(on, 0)) updates/s"
                      + " exporting Prometheus metrics after every update (\(fixed((on / off - 1) * 100, 1)) %)")
            } catch {
                print("  engine intake \(pad(model, 4)) failed: \(error)")
            }
        }
    }

    private func printFederation() {
        print("Federation, median of \(repetitions) passes")
        print("  CRC-32C \(fixed(FederationBenchmark.crc32c(repetitions: repetitions), 2)) GB/s"
              + " (portable slicing-by-8 tables: \(fixed(FederationBenchmark.crc32c(repetitions: repetitions, portable: true), 2)) GB/s)")
        for (model, count) in [("cnn", 21_840), ("mlp", 199_210)] {
            let r = FederationBenchmark.updateIntake(parameters: count, repetitions: repetitions)
            print("  update intake \(pad(model, 4)) \(fixed(r.updatesPerSecond, 0)) updates/s (\(fixed(r.megabytesPerSecond, 0)) MB/s of payload)")
        }
        printEngineIntake()
        for (model, count) in [("cnn", 21_840), ("mlp", 199_210)] {
            let r = FederationBenchmark.broadcastDecode(parameters: count, repetitions: repetitions)
            func figure(_ rate: Double) -> String { "\(fixed(rate, 0))/s (\(fixed(r.megabytesPerSecond(rate), 0)) MB/s)" }
            print("  model decode \(pad(model, 4)) old 3-pass \(figure(r.unfused)), fused \(figure(r.fusedFresh)),"
                  + " fused into reused buffer \(figure(r.fusedReused))")
        }
        print("")
    }

    func fixed(_ value: Double, _ digits: Int) -> String {
        String(format: "%.\(digits)f", value)
    }

    func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
}

/// Runs `benchmarks/peer_pytorch.py --json` and decodes its figures.
enum PeerBenchmark {
    /// Samples/s that PyTorch reached for each model.
    struct Result: Decodable {
        var torch: String
        var cnn_samples_per_s: Double
        var mlp_samples_per_s: Double

        func samplesPerSecond(_ model: String) -> Double {
            model == "cnn" ? cnn_samples_per_s : mlp_samples_per_s
        }
    }

    /// Why there is no PyTorch figure.
    enum Failure: Error, CustomStringConvertible {
        case disabled
        case notRunnable(String)

        var description: String {
            switch self {
            case .disabled: "n/a (--no-peer)"
            case .notRunnable(let why): "n/a (\(why))"
            }
        }
    }

    static func run(script: String, batchSize: Int, clock: BenchmarkClock.Mode) -> Swift.Result<Result, Failure> {
        guard FileManager.default.fileExists(atPath: script) else { return .failure(.notRunnable("no \(script)")) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, "--json", "--batch-size", String(batchSize), "--clock", clock.rawValue]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = Pipe()
        do {
            try process.run()
        } catch {
            return .failure(.notRunnable("python3 not runnable"))
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return .failure(.notRunnable("torch not installed")) }
        guard let result = try? JSONDecoder().decode(Result.self, from: data) else {
            return .failure(.notRunnable("unreadable output from \(script)"))
        }
        return .success(result)
    }
}

extension BenchmarkClock.Mode: ExpressibleByArgument {}
