import ArgumentParser
import Reporting
import SwiftletCore

/// `swiftlet report RUN_DIR`: writes `RUN_DIR/report.html` from `metrics.jsonl` (and
/// `report.json` when present) and prints its path. The training loop writes the same page at
/// the end of a run; this command redraws it for a run in progress or an older run.
struct Report: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract: "Write RUN_DIR/report.html: loss, throughput, MFU and energy/CO2e charts and tables.",
    discussion: """
      The page is self-contained (inline CSS and SVG, no scripts, no network). It needs \
      RUN_DIR/metrics.jsonl and shows RUN_DIR/report.json's numbers and projection when present.
      """)

  @Argument(help: "The run directory (holds metrics.jsonl).")
  var runDirectory: String

  @Option(help: "Y axis of the loss chart: auto (log if the loss spans over 3×), linear or log.")
  var lossScale: String = RunReportPage.LossScale.automatic.rawValue

  func validate() throws {
    guard RunReportPage.LossScale(rawValue: lossScale) != nil else {
      throw ValidationError("--loss-scale must be auto, linear or log, not '\(lossScale)'")
    }
  }

  func run() throws {
    let scale = RunReportPage.LossScale(rawValue: lossScale) ?? .automatic
    print(try RunReportPage.write(runDirectory: runDirectory, lossScale: scale))
  }
}
