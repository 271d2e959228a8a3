// The live page and the report are for browsers: this loads them in a real one during and
// after a real run, and leaves screenshots for people to look at.
import FedMQAggregator
import FedMQTools
import Foundation
import Testing
import ZeroMQ

/// The live page and the report in a real browser (headless Chromium, installed by
/// scripts/install-deps.sh): during a real `fedmq run` the page's plots and trainer table fill
/// in and change as versions advance; the report at the end has every plot and the table.
/// Screenshots and DOM dumps stay in `<tmp>/fedmq-browser-test/` for people to look at
/// (live-page.png, report.png; replaced by each run of the test).
@Suite(.serialized) struct LivePageBrowserTests {
    static let output = NSTemporaryDirectory() + "fedmq-browser-test"

    /// What the test saw while the run went on.
    final class Observations: @unchecked Sendable {
        var url: String?
        var first: RenderedPage?
        var second: RenderedPage?
        var firstSeen = Date.distantFuture
        var error: (any Error)?
        var done: Bool { second != nil || error != nil }
    }

    @Test func livePageAndReportFillInAndChangeInABrowser() async throws {
        let chromium = try #require(HeadlessChromium.installed(), "no chromium: run scripts/install-deps.sh (apt-get install chromium)")
        let fedmq = LauncherEndToEndTests.executables.appendingPathComponent("fedmq").path
        try #require(FileManager.default.isExecutableFile(atPath: fedmq), "no fedmq executable at \(fedmq)")
        try? FileManager.default.removeItem(atPath: Self.output)
        try FileManager.default.createDirectory(atPath: Self.output, withIntermediateDirectories: true)
        let directory = Self.output + "/run", stdout = Self.output + "/fedmq-run.out"
        // Three trainers at an emulated device speed (10 steps of ≥ 50 ms per update): about
        // 1.4 versions a second: 60 versions last long enough to look at the page twice.
        let args = ["run", "--model", "mlp", "--trainers", "3", "--target-accuracy", "0", "--max-versions", "60",
                    "--time-limit", "150", "--local-steps", "10", "--step-time", "0.05", "--eval-every", "1",
                    "--trainer-args", "--sample-limit 3000", "--output-dir", directory]
        let seen = Observations()
        let result = try await SocketThread.run {
            try ChildCommand.run(fedmq, args, timeout: 240, standardOutput: stdout) {
                Self.look(stdout: stdout, with: chromium, metrics: directory + "/metrics.jsonl", into: seen)
                return false
            }
        }
        #expect(result.status == 0, "fedmq run exited \(result.status): \(result.stdout) \(result.stderr)")
        #expect(seen.url != nil, "fedmq run printed no live page address: \(result.stdout)")
        if let error = seen.error { throw error }
        let first = try #require(seen.first, "the run ended before the page was loaded"), second = try #require(seen.second)
        checkLivePages(first, second)

        let report = RenderedPage(dom: try chromium.dom("file://\(directory)/report.html", settle: 500))
        try report.dom.write(toFile: Self.output + "/report.html.dom", atomically: true, encoding: .utf8)
        #expect(report.plotCount == 10 && report.dom.contains("Stopped: reached version 60"))
        #expect((report.points(ofPlot: "Test accuracy by version") ?? 0) >= 10 && (report.points(ofPlot: "Updates per second") ?? 0) > 0)
        #expect(report.trainerRows.count == 3 && report.updatesPerTrainer.reduce(0, +) >= 60 * 4)
        try chromium.screenshot("file://\(directory)/report.html", to: Self.output + "/report.png", height: 2200, settle: 500)
        try checkPNG(Self.output + "/report.png")
        try checkPNG(Self.output + "/live-page.png")
    }

    /// Called every 50 ms while the run goes on: reads the page's address from fedmq run's
    /// output, loads the page once a few versions exist, again (and a screenshot) three
    /// versions and three seconds later.
    static func look(stdout: String, with chromium: HeadlessChromium, metrics: String, into seen: Observations) {
        guard !seen.done else { return }
        if seen.url == nil { seen.url = liveAddress(in: (try? String(contentsOfFile: stdout, encoding: .utf8)) ?? "") }
        guard let url = seen.url else { return }
        let version = MetricsWriter.read(path: metrics).last?.version ?? 0
        do {
            if seen.first == nil, version >= 3 {
                seen.first = RenderedPage(dom: try chromium.dom(url))
                seen.firstSeen = Date()
                try seen.first?.dom.write(toFile: output + "/live-1.html.dom", atomically: true, encoding: .utf8)
            } else if let first = seen.first, Date().timeIntervalSince(seen.firstSeen) > 3, version >= (first.version ?? 0) + 3 {
                seen.second = RenderedPage(dom: try chromium.dom(url))
                try seen.second?.dom.write(toFile: output + "/live-2.html.dom", atomically: true, encoding: .utf8)
                try chromium.screenshot(url, to: output + "/live-page.png", height: 2200)
            }
        } catch {
            seen.error = error
        }
    }

    /// Both loads show plots and the trainer table; the second shows a later version, more
    /// points and more accepted updates; the page's script refreshed itself.
    private func checkLivePages(_ first: RenderedPage, _ second: RenderedPage) {
        for page in [first, second] {
            #expect(page.plotCount == 10 && page.trainerRows.count == 3, "\(page.dom.prefix(3000))")
            #expect((page.refreshes ?? 0) >= 1, "the page's script did not swap in a newer rendering")
            #expect((page.points(ofPlot: "Test accuracy over time") ?? 0) >= 1)
        }
        let (v1, v2) = (first.version ?? 0, second.version ?? 0)
        #expect(v1 >= 3 && v2 > v1, "versions shown: \(v1), then \(v2)")
        #expect((second.points(ofPlot: "Test accuracy by version") ?? 0) > (first.points(ofPlot: "Test accuracy by version") ?? 0))
        #expect((second.points(ofPlot: "Global version over time") ?? 0) > (first.points(ofPlot: "Global version over time") ?? 0))
        #expect(second.updatesPerTrainer.reduce(0, +) > first.updatesPerTrainer.reduce(0, +))
    }

    /// The address on fedmq run's "live page: http://…/" line.
    static func liveAddress(in output: String) -> String? {
        output.split(separator: "\n").first { $0.hasPrefix("live page: http://") }
            .flatMap { $0.dropFirst("live page: ".count).split(separator: " ").first.map(String.init) }
    }

    private func checkPNG(_ path: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(data.count > 20_000 && data.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]), "\(path)")
    }
}
