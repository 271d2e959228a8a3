import FedMQAggregator
import Foundation
import Testing

@Test func metricsLinesRoundTripAndReportDrawsThem() throws {
    let path = NSTemporaryDirectory() + "fedmq-metrics-\(UUID().uuidString).jsonl"
    defer { try? FileManager.default.removeItem(atPath: path) }
    var histogram = StalenessHistogram(bucketCount: 4)
    for s in [0, 1, 1, 9] as [UInt64] { histogram.record(s) }
    #expect(histogram.buckets == [1, 2, 0, 1] && histogram.mean == 11.0 / 4)
    let records: [MetricsRecord] = (1...3).map { (i: Int) -> MetricsRecord in
        let x = Double(i)
        return MetricsRecord(
            version: UInt64(i), wallTime: x, testAccuracy: 0.2 * x, testLoss: 2 / x, updatesAccepted: UInt64(10 * i),
            rejected: ["bad_checksum": 1], stalenessMean: histogram.mean, stalenessHistogram: histogram.buckets)
    }
    do {
        let writer = try MetricsWriter(path: path)
        for record in records { try writer.write(record) }
    }
    #expect(MetricsWriter.read(path: path) == records)
    let html = RunReport.html(title: "run <1>", records: records)
    #expect(html.contains("<svg") && html.contains("<polyline") && html.contains("bad_checksum") && html.contains("Mean staleness"))
    #expect(html.contains("run &lt;1&gt;") && !html.contains("<script"))
    #expect(html.contains("60.00 %"))  // best accuracy
}

@Test func aWriterReopenedAfterACrashMidLineStartsOnAFreshLine() throws {
    let path = NSTemporaryDirectory() + "fedmq-metrics-\(UUID().uuidString).jsonl"
    defer { try? FileManager.default.removeItem(atPath: path) }
    try MetricsWriter(path: path).write(MetricsRecord(version: 1, wallTime: 1))
    let handle = try #require(FileHandle(forWritingAtPath: path))
    handle.seekToEndOfFile()
    handle.write(Data("{\"version\":2,\"wallT".utf8))  // killed mid-line
    try handle.close()
    try MetricsWriter(path: path).write(MetricsRecord(version: 3, wallTime: 3))
    #expect(MetricsWriter.read(path: path).map(\.version) == [1, 3])
}
