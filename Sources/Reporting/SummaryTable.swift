import Foundation

/// The table of numbers computed from `metrics.jsonl` (`RunSummary`).
enum SummaryTable {
  static func render(_ summary: RunSummary) -> String {
    typealias Cell = HTMLTable.Cell
    var rows: [[Cell]] = []
    func add(_ quantity: String, _ value: String, _ detail: String = "") {
      rows.append([.text(quantity), .text(value, numeric: true), .text(detail)])
    }
    func loss(_ value: RunSummary.AtStep?) -> (String, String) {
      guard let value else { return ("–", "no finite value") }
      return (String(format: "%.4f", value.value), "at step \(value.step)")
    }
    let steps = summary.trainLines
    add(
      "Train steps logged", "\(steps)",
      steps > 0 ? "steps \(summary.firstStep) to \(summary.lastStep)" : "")
    add("Evaluations logged", "\(summary.evalLines)")
    for (name, value) in [
      ("First train loss", summary.firstLoss), ("Last train loss", summary.lastLoss),
      ("Lowest train loss", summary.minimumLoss),
      ("Last validation loss", summary.lastValidationLoss),
      ("Lowest validation loss", summary.minimumValidationLoss),
    ] {
      let (text, detail) = loss(value)
      add(name, text, detail)
    }
    let steady = steps > 1 ? "median over steps after the first" : ""
    add(
      "Throughput",
      summary.medianTokensPerSecond.map { NumberFormatting.si($0) + " tokens/s" } ?? "–",
      steady)
    add("MFU", summary.medianMFU.map { NumberFormatting.si($0 * 100) + " %" } ?? "–", steady)
    for (name, value, unit) in [
      ("Tokens", summary.tokens, ""), ("Model FLOPs", summary.flops, " FLOP"),
      ("Energy", summary.energyKWh, " kWh"), ("CO2e", summary.co2eKg, " kg"),
    ] {
      add(name, value.map { NumberFormatting.si($0) + unit } ?? "–", "cumulative, last step")
    }
    add(
      "Time in logged steps", summary.stepHours.map { NumberFormatting.duration(hours: $0) } ?? "–",
      "sum of step_ms")
    return HTMLTable(
      caption: "From metrics.jsonl", columns: ["Quantity", "Value", "Detail"], rows: rows
    ).render()
  }
}
