import Foundation
import SwiftletCore
import Testing

@testable import Reporting

@Suite struct RunReportPageTests {
  private func count(_ needle: String, in text: String) -> Int {
    text.components(separatedBy: needle).count - 1
  }

  @Test func aSyntheticRunGetsThreeChartsAndTheTables() throws {
    let run = try SyntheticRun.make(steps: 300, reportJSON: SyntheticRun.reportJSON())
    defer { run.remove() }
    let html = try RunReportPage.render(runDirectory: run.directory)
    #expect(html.hasPrefix("<!DOCTYPE html>"))
    #expect(count("<svg", in: html) == 3)
    #expect(count("</svg>", in: html) == 3)
    #expect(html.contains("<caption>From metrics.jsonl</caption>"))
    #expect(html.contains("<caption>Run ledger (report.json)</caption>"))
    #expect(html.contains("<code>some_new_field</code>"))  // unknown fields are shown too
    #expect(html.contains("Projection to the full run (projection)"))
    #expect(html.contains("Work lost to crashes"))
    // Text from report.json is escaped, in the title and in the table.
    #expect(html.contains("tiny &lt;test&gt; &amp; co"))
    #expect(!html.contains("<test>"))
    // Self-contained: no scripts, no external resources.
    #expect(!html.contains("<script"))
    #expect(!html.contains("src="))
    #expect(!html.contains("href="))
    #expect(!html.contains("@import"))
    // The projection is drawn dashed to its total in both ledger charts.
    #expect(html.contains("0.022 kWh at 4.1M tokens"))
    #expect(html.contains("8.8e-3 kg at 4.1M tokens"))
  }

  @Test func summaryStatisticsComeFromTheMetrics() throws {
    let run = try SyntheticRun.make(steps: 120, evalEvery: 40)
    defer { run.remove() }
    let log = try MetricsHistory.load(runDirectory: run.directory)
    let summary = RunSummary(log)
    #expect(summary.trainLines == 120)
    #expect(summary.evalLines == 3)
    #expect(summary.firstLoss?.step == 1)
    #expect(summary.lastLoss?.step == 120)
    let losses = log.train.compactMap(\.loss)
    #expect(summary.minimumLoss?.value == losses.min())
    #expect(summary.lastValidationLoss?.step == 120)
    // Step 1 (9 s) is left out of the median; the others are about 4 s.
    let median = try #require(summary.medianTokensPerSecond)
    #expect(median > 4096 / 4.2 && median < 4096 / 3.8)
    #expect(summary.tokens == Double(120 * SyntheticRun.tokensPerStep))
    #expect(RunSummary.median([3, 1, 2]) == 2 && RunSummary.median([4, 1, 2, 3]) == 2.5)
  }

  @Test func withoutReportJSONThePageSaysSoAndDrawsNoProjection() throws {
    let run = try SyntheticRun.make(steps: 50)
    defer { run.remove() }
    let html = try RunReportPage.render(runDirectory: run.directory)
    #expect(count("<svg", in: html) == 3)
    #expect(html.contains("No report.json yet"))
    #expect(!html.contains("projected full run"))
  }

  @Test func aBrokenReportJSONIsAWarningNotAFailure() throws {
    let run = try SyntheticRun.make(steps: 20, reportJSON: "{\"params\": 12,")
    defer { run.remove() }
    let html = try RunReportPage.render(runDirectory: run.directory)
    #expect(html.contains("report.json is not valid JSON"))
    #expect(count("<svg", in: html) == 3)
  }

  @Test func aReportJSONOfAnotherFormatKeepsItsTablesButDrawsNoProjection() throws {
    let run = try SyntheticRun.make(
      steps: 20, reportJSON: #"{"params": 12, "projection": {"tokens": 1e9, "energy_kwh": 1}}"#)
    defer { run.remove() }
    let html = try RunReportPage.render(runDirectory: run.directory)
    #expect(html.contains("report.json is not in this version&#39;s format (no &#39;model&#39;)"))
    #expect(html.contains("<code>params</code>"))
    #expect(!html.contains("projected full run"))
  }

  @Test func lossScaleFollowsTheOptionAndTheRangeOfLosses() throws {
    let run = try SyntheticRun.make(steps: 300)
    defer { run.remove() }
    let log = try MetricsHistory.load(runDirectory: run.directory)
    // The synthetic loss falls from about 10.9 to 3.4: more than 3×, so automatic is log.
    #expect(RunCharts(log: log, report: nil, lossScale: .automatic).lossAxisKind == .logarithmic)
    #expect(RunCharts(log: log, report: nil, lossScale: .linear).lossAxisKind == .linear)
    let linear = try RunReportPage.render(runDirectory: run.directory, lossScale: .linear)
    #expect(!linear.contains("(log scale)"))
    let flat = MetricsHistory(
      parsing: Array("{\"kind\":\"train\",\"step\":1,\"loss\":4,\"tokens\":1}\n".utf8))
    #expect(RunCharts(log: flat, report: nil).lossAxisKind == .linear)
    #expect(RunCharts(log: flat, report: nil, lossScale: .log).lossAxisKind == .logarithmic)
  }

  @Test func writePutsReportHTMLInTheRunDirectory() throws {
    let run = try SyntheticRun.make(steps: 30)
    defer { run.remove() }
    let path = try RunReportPage.write(runDirectory: run.directory)
    #expect(path == run.directory + "/report.html")
    let written = try String(contentsOfFile: path, encoding: .utf8)
    #expect(written == (try RunReportPage.render(runDirectory: run.directory)))
  }

  @Test func missingMetricsIsAOneLineError() throws {
    let run = try SyntheticRun.make(metrics: nil, reportJSON: SyntheticRun.reportJSON())
    defer { run.remove() }
    #expect(throws: SwiftletError("no metrics in \(run.directory): metrics.jsonl does not exist")) {
      try RunReportPage.write(runDirectory: run.directory)
    }
    #expect(!FileManager.default.fileExists(atPath: run.directory + "/report.html"))
  }

  @Test func thousandsOfStepsRenderQuicklyAndCompactly() throws {
    let run = try SyntheticRun.make(steps: 20_000, evalEvery: 500)
    defer { run.remove() }
    let start = Date()
    let html = try RunReportPage.render(runDirectory: run.directory)
    let seconds = Date().timeIntervalSince(start)
    // Generous for a loaded debug build; a quadratic pass over 20,000 steps would take minutes.
    #expect(seconds < 10, "rendering took \(seconds) s")
    // Five series of 20,000 points, each at most 800 points of about 12 bytes.
    #expect(html.utf8.count < 250_000, "page is \(html.utf8.count) bytes")
  }
}
