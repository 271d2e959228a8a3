// Ticks, plots, the report and the live page's feed (RunReport, SVGPlot, AxisTicks, LiveFeed,
// LivePage): what people read must have round ticks, every plot, the trainer table, nothing
// fetched from elsewhere, and a bounded history however long the run.
import FedMQAggregator
import Foundation
import Testing

@Test func ticksAreRoundStepsCoveringTheData() {
    let accuracy = AxisTicks(covering: [0, 0.31, 0.87])
    #expect(accuracy.step == 0.2 && accuracy.values == [0, 0.2, 0.4, 0.6, 0.8, 1.0])
    #expect(accuracy.values.map(accuracy.label) == ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
    let seconds = AxisTicks(covering: [3, 137], target: 7)
    #expect(seconds.step == 20 && seconds.lower == 0 && seconds.upper == 140)
    #expect(seconds.values.map(seconds.label).first == "0" && seconds.label(120) == "120")
    let loss = AxisTicks(covering: [0.412, 0.455])
    #expect(loss.step == 0.01 && loss.lower == 0.41 && loss.upper == 0.46 && loss.label(0.43) == "0.43")
    for ticks in [accuracy, seconds, loss] {
        #expect(zip(ticks.values, ticks.values.dropFirst()).allSatisfy { abs($1 - $0 - ticks.step) < ticks.step * 1e-9 })
        #expect([1.0, 2, 5].contains { abs(ticks.step / pow(10, log10(ticks.step).rounded(.down)) - $0) < 1e-9 })
    }
}

@Test func ticksSurviveNonFiniteSinglePointAndZeroData() {
    let mixed = AxisTicks(covering: [.nan, 3, .infinity, 5, -.infinity])
    #expect(mixed.lower <= 3 && mixed.upper >= 5 && mixed.upper < 10 && mixed.values.allSatisfy(\.isFinite))
    let nothing = AxisTicks(covering: [.nan])
    #expect(nothing.lower == 0 && nothing.upper == 1 && nothing.values.count >= 2)
    let single = AxisTicks(covering: [42])
    #expect(single.lower < 42 && single.upper > 42 && single.values.count >= 2)
    let zero = AxisTicks(covering: [0, 0])
    #expect(zero.lower == 0 && zero.upper == 1)
    #expect(AxisTicks(covering: [5], includingZero: true).values.first == 0)
    #expect(AxisTicks(covering: [-3, 2]).values.contains(0))
}

@Test func plotsDrawTicksGridLegendAndSkipNonFinitePoints() {
    let plot = SVGPlot(title: "Loss <test>", xTitle: "time (s)", yTitle: "loss", series: [
        PlotSeries(name: "train", points: [(0, 1), (1, .nan), (2, 0.5)]),
        PlotSeries(name: "test", points: [(0, 1.2), (2, 0.7)]),
    ])
    let svg = plot.svg()
    #expect(plot.pointCount == 4 && svg.contains("data-points=\"4\""))
    #expect(svg.components(separatedBy: "<polyline").count == 3)
    #expect(svg.contains(">train</text>") && svg.contains(">test</text>"))  // legend
    #expect(svg.contains(">time (s)</text>") && svg.contains("rotate(-90)") && svg.contains("Loss &lt;test&gt;"))
    let ticks = AxisTicks(covering: [0.5, 1, 1.2, 0.7, 0], includingZero: true)
    for v in ticks.values { #expect(svg.contains(">\(ticks.label(v))</text>")) }
    #expect(!svg.contains("nan") && !svg.contains("inf"))
    let empty = SVGPlot(title: "t", xTitle: "x", yTitle: "y", series: [PlotSeries(name: "a", points: [(.nan, 1)])]).svg()
    #expect(empty.contains("no data yet") && empty.contains("data-points=\"0\""))
}

/// Record i (1…count): version 2i at 3i s, evaluated on even i (accuracy 0.5 + 0.01 i).
private func records(count: Int) -> [MetricsRecord] {
    (1...count).map { (i: Int) -> MetricsRecord in
        let x = Double(i)
        let evaluated = i % 2 == 0
        let accuracy: Double? = evaluated ? 0.5 + 0.01 * x : nil
        let loss: Double? = evaluated ? 1 / x : nil
        let rejected: [String: UInt64] = i > 2 ? ["bad_checksum": UInt64(i)] : [:]
        return MetricsRecord(version: UInt64(2 * i), wallTime: 3 * x, testAccuracy: accuracy, testLoss: loss,
                             updatesAccepted: UInt64(8 * i), rejected: rejected, stalenessMean: 1.5,
                             stalenessHistogram: [4, 3, 1, 0, 0], bytesIn: 1_000_000, liveTrainers: 4)
    }
}

@Test func reportHasEveryPlotTheTrainerTableAndNoExternalResources() throws {
    let trainers = [
        TrainerRow(id: 1, identity: "trainer-<1>", shard: 0, shardSize: 7000, live: true, updatesAccepted: 12, meanStaleness: 1.25,
                   lastSeenAgo: 0.4, updateInterval: 2.5, samplesPerUpdate: 1600),
        TrainerRow(id: 2, identity: nil, shard: 1, live: false, lastSeenAgo: 31),
    ]
    let html = RunReport.html(title: "run <1>", records: records(count: 10), trainers: trainers, stopReason: "reached version 20")
    #expect(html.components(separatedBy: "<svg class=\"plot\"").count == 11)
    // Accuracy over time and by version: one point per evaluation (5 of the 10 records).
    #expect(html.contains("aria-label=\"Test accuracy over time\"") && html.contains("data-points=\"5\""))
    for title in ["Updates per second", "Staleness of accepted updates", "Rejections over time (cumulative)", "Test loss by version"] {
        #expect(html.contains("aria-label=\"\(title)\""))
    }
    #expect(html.contains("<table class=\"trainers\" data-rows=\"2\"") && html.contains("trainer-&lt;1&gt;"))
    #expect(html.contains("<td>7000</td>") && html.contains("<td>1.25</td>") && html.contains("<td>2.50</td>") && html.contains("(anonymous)"))
    #expect(html.contains("run &lt;1&gt;") && html.contains("Stopped: reached version 20") && html.contains("60.00 %"))
    #expect(html.contains("bad_checksum") && !html.contains("<script") && !html.contains("src="))
    #expect(!html.replacingOccurrences(of: "xmlns=\"http://www.w3.org/2000/svg\"", with: "").contains("http"))
}

@Test func reportWithoutTrainerDataSaysWhy() {
    let html = RunReport.html(title: "r", records: records(count: 3))
    #expect(html.contains("metrics.jsonl alone") && !html.contains("class=\"trainers\""))
    #expect(RunReport.html(title: "r", records: []).contains("No records yet"))
}

@Test func liveFeedKeepsABoundedHistoryAndTheNewestState() throws {
    let feed = LiveFeed(title: "live", capacity: 50)
    for (i, r) in records(count: 400).enumerated() {
        i % 2 == 0 ? feed.sample(r, trainers: [TrainerRow(id: 1, identity: "a", shard: 0, live: true, lastSeenAgo: Double(i))])
            : feed.add(r)
    }
    feed.finish(reason: "done")
    let snapshot = feed.snapshot()
    #expect(snapshot.records.count <= 100 && snapshot.records.count >= 50)
    #expect(snapshot.records.first?.version == 2 && snapshot.records.last?.version == 800 && snapshot.version == 800)
    #expect(zip(snapshot.records, snapshot.records.dropFirst()).allSatisfy { $0.wallTime < $1.wallTime })
    #expect(snapshot.records.last?.stalenessHistogram == [4, 3, 1, 0, 0])
    #expect(snapshot.records.filter { !$0.stalenessHistogram.isEmpty }.count <= 2)  // the newest of each list
    #expect(snapshot.trainers?.first?.lastSeenAgo == 398 && snapshot.stopReason == "done" && snapshot.runSeconds == 1200)
    let decoded = try JSONDecoder().decode(LiveSnapshot.self, from: JSONEncoder().encode(snapshot))
    #expect(decoded == snapshot)
    let page = LivePage.html(snapshot)
    #expect(page.contains("<script>") && page.contains(LivePage.fragmentPath) && !page.contains("src="))
    #expect(page.contains(LivePage.fragment(snapshot)))
}

@Test func liveEndpointsServeThePageItsFragmentAndTheSnapshot() throws {
    let feed = LiveFeed(title: "live <run>")
    feed.add(MetricsRecord(version: 3, wallTime: 1, testAccuracy: 0.5, testLoss: 1))
    let endpoints = LivePage.endpoints(feed)
    #expect(endpoints.map(\.path) == ["/", "/api/live.html", "/api/live.json"])
    let page = String(decoding: endpoints[0].body(), as: UTF8.self)
    #expect(page.hasPrefix("<!DOCTYPE html>") && page.contains("live &lt;run&gt;") && page.contains("data-version=\"3\""))
    feed.add(MetricsRecord(version: 5, wallTime: 2, testAccuracy: 0.6, testLoss: 0.9))
    #expect(String(decoding: endpoints[1].body(), as: UTF8.self).contains("data-version=\"5\""))
    let snapshot = try JSONDecoder().decode(LiveSnapshot.self, from: Data(endpoints[2].body()))
    #expect(snapshot.version == 5 && snapshot.records.compactMap(\.testAccuracy) == [0.5, 0.6])
}

@Test func ratesAreTakenOverAtLeastOneSecondAndCountAxesHaveWholeTicks() {
    // Records 0.1 s apart would make rates of 10× the count: they are merged into 1 s windows.
    let records = (0...30).map { (i: Int) -> MetricsRecord in
        MetricsRecord(version: UInt64(i / 10), wallTime: Double(i) / 10, updatesAccepted: UInt64(i * 2))
    }
    let plots = RunCharts(records: records).plots
    let rates = plots.first { $0.title == "Updates per second" }?.series ?? []
    #expect(rates.map(\.name) == ["accepted", "rejected"])
    #expect(rates.first?.points.count == 3)
    #expect(rates.first?.points.allSatisfy { abs($0.y - 20) < 1e-9 } == true)
    #expect(rates.last?.points.allSatisfy { $0.y == 0 } == true)
    #expect(AxisTicks(covering: [0, 3], integers: true).values == [0, 1, 2, 3])
    #expect(AxisTicks(covering: [0, 3]).step == 0.5)
}

@Test func aTableOfThousandsOfTrainersShowsTheFirstRowsAndSaysHowManyMore() {
    let trainers = (1...1200).reversed().map { (i: Int) -> TrainerRow in
        TrainerRow(id: UInt32(i), identity: "t\(i)", shard: i % 8, live: true, lastSeenAgo: 1)
    }
    let html = RunReport.html(title: "many", records: records(count: 2), trainers: trainers)
    #expect(html.contains("data-rows=\"1200\"") && html.contains("… and 700 more"))
    #expect(html.components(separatedBy: "<tr class=\"live\">").count - 1 == 500)
    #expect(html.contains("<td>t1</td>") && html.contains("<td>t500</td>") && !html.contains("<td>t501</td>"))
}
