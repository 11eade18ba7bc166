import Foundation
import RunFiles
import SwiftletCore

/// `RUN_DIR/report.html`: one self-contained page about a training run.
///
/// The page has three SVG figures drawn by this module (loss against tokens; throughput and
/// MFU over steps; the cumulative energy and CO2e ledger with the projected full run) and
/// tables of numbers (statistics of `metrics.jsonl`, and every field of `report.json` when it
/// exists). It uses no JavaScript, no external files and no network: inline CSS and SVG only,
/// so it opens from a cluster's file system or as a mail attachment.
public enum RunReportPage {
  /// The y axis of the loss chart.
  public enum LossScale: String, Sendable {
    /// Logarithmic when the losses span more than a factor of 3, else linear.
    case automatic = "auto"
    case linear
    case log
  }

  /// The page's file name inside the run directory.
  public static let fileName = "report.html"

  /// The page for the run in `runDirectory`, as HTML text.
  ///
  /// Reads `runDirectory/metrics.jsonl` (required) and `runDirectory/report.json` (optional;
  /// if it cannot be parsed the page says so instead of failing).
  ///
  /// - Throws: `SwiftletError("no metrics in RUN_DIR: …")` when `metrics.jsonl` is missing,
  ///   unreadable or has no train lines.
  public static func render(runDirectory: String, lossScale: LossScale = .automatic) throws
    -> String
  {
    let log = try MetricsHistory.load(runDirectory: runDirectory)
    let (report, reportProblem) = ReportFile.read(
      path: (runDirectory as NSString).appendingPathComponent(RunReport.fileName))
    let charts = RunCharts(log: log, report: report?.report, lossScale: lossScale)
    let e = HTMLEscaping.escape
    let summary = RunSummary(log)
    let runName = (runDirectory as NSString).standardizingPath
    let model = (report?.report?.model).map { " · \($0)" } ?? ""
    var body: [String] = []
    body.append("<h1>Swiftlet run report\(e(model))</h1>")
    let steps = "\(summary.trainLines) train steps (\(summary.firstStep)–\(summary.lastStep))"
    body.append(
      "<p class=\"meta\">Run directory <code>\(e(runName))</code> · \(steps), "
        + "\(summary.evalLines) evaluations</p>")
    var warnings: [String] = []
    if log.skippedLines > 0 {
      warnings.append("\(log.skippedLines) unreadable line(s) of metrics.jsonl were skipped.")
    }
    if log.tornLastLine {
      warnings.append("The last line of metrics.jsonl was incomplete and was skipped.")
    }
    if let reportProblem { warnings.append(reportProblem + ".") }
    if report == nil && reportProblem == nil {
      warnings.append(
        "No report.json yet: the table below uses metrics.jsonl only and there is no projection.")
    }
    for warning in warnings { body.append("<p class=\"warning\">\(e(warning))</p>") }

    body.append(
      section(
        "Loss", charts.lossFigure(),
        caption:
          "Train loss of every logged step (thinned to at most "
          + "\(Downsampling.defaultMaximum) points per line, keeping each stretch's lowest and "
          + "highest) and validation loss at each evaluation, placed at the tokens seen by that "
          + "step."
      ))
    body.append(
      section(
        "Throughput and MFU", charts.throughputFigure(),
        caption: "Tokens per second and model FLOPs utilisation per step; dashed: the median over "
          + "the steps after the first."))
    let projectionNote: String
    if charts.drawsProjection {
      projectionNote = "Dashed: the projection of the full run from report.json."
    } else if let projection = charts.projection {
      projectionNote =
        "report.json projects \(NumberFormatting.si(projection.tokens)) tokens for the full run, "
        + "no more than done so far: nothing left to project."
    } else {
      projectionNote = "No projection in report.json."
    }
    body.append(
      section(
        "Energy and carbon ledger", charts.ledgerFigure(),
        caption:
          "Cumulative energy (kWh) and CO2e (kg) of the whole job over tokens. \(projectionNote)"))
    if charts.hasIntensity {
      body.append(
        section(
          "Carbon over time", charts.intensityFigure(),
          caption:
            "Grid intensity of the series at the start of each step (the rate it was charged at) and "
            + "the CO2e of each step. CO2e per launch of the job: the segments tables below (ledger.jsonl)."))
    }
    body.append("<h2>Numbers</h2>")
    body.append("<div class=\"tables\">")
    body.append(SummaryTable.render(summary))
    if let report { body.append(ReportTables.render(report.fields)) }
    body.append("</div>")
    body.append(
      "<footer>Written by <code>swiftlet report</code> from metrics.jsonl"
        + (report == nil ? "" : " and report.json")
        + ". Self-contained: no scripts, no network.</footer>")

    return """
      <!DOCTYPE html>
      <html lang="en">
      <head>
      <meta charset="utf-8">
      <meta name="viewport" content="width=device-width, initial-scale=1">
      <title>Swiftlet run report · \(e((runName as NSString).lastPathComponent))</title>
      <style>
      \(PageStyle.css)
      </style>
      </head>
      <body>
      <main>
      \(body.joined(separator: "\n"))
      </main>
      </body>
      </html>

      """
  }

  /// Renders the page and writes it to `runDirectory/report.html` (atomically: a reader never
  /// sees half a page). Returns the path written.
  ///
  /// - Throws: the errors of `render(runDirectory:lossScale:)`, or a `SwiftletError` if the
  ///   file cannot be written.
  @discardableResult
  public static func write(runDirectory: String, lossScale: LossScale = .automatic) throws -> String {
    let html = try render(runDirectory: runDirectory, lossScale: lossScale)
    let path = (runDirectory as NSString).appendingPathComponent(fileName)
    do {
      try html.write(toFile: path, atomically: true, encoding: .utf8)
    } catch {
      throw SwiftletError("cannot write \(path): \(error.localizedDescription)")
    }
    return path
  }

  /// A titled section of the page: its `<h2>` heading, then the figure with its caption.
  private static func section(_ heading: String, _ figure: SVGFigure, caption: String) -> String {
    let caption = "<figcaption>\(HTMLEscaping.escape(caption))</figcaption>"
    return "<h2>\(heading)</h2>\n<figure>\n\(figure.render())\n\(caption)\n</figure>"
  }
}
