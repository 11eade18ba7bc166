import Foundation

extension Plan {
  /// The plan as a two-column table for a terminal (`swiftlet plan` without `--json`).
  public func table(title: String) -> String {
    var rows: [(String, String)] = []
    func row(_ label: String, _ value: String) { rows.append((label, value)) }
    row("parameters", params >= 1e6 ? Format.flops(params) : Format.number(params))
    row("tokens", Format.flops(tokens))
    row("FLOPs (6·N·D)", Format.flops(flops))
    row("model FLOPs (PaLM, with attention)", Format.flops(modelFlops))
    let stages = pipeline > 1 ? " × pp \(pipeline)" : ""
    row("layout", "\(devices) × \(hardware) (dp \(dataParallel) × tp \(tensorParallel)\(stages)), seq_len \(seqLen)")
    if pipeline > 1 {
      row(
        "pipeline (1F1B)",
        "\(microbatches) micro-batches: bubble (P − 1)/(M + P − 1) = \(pipeline - 1)/\(microbatches + pipeline - 1) = "
          + String(format: "%.1f%%", pipelineBubble * 100) + " of the time, included below")
    }
    row("peak per device", Format.rate(peak))
    row("MFU", String(format: "%.1f%%", mfu * 100))
    row("wall-clock time", Format.duration(seconds: wallHours * 3600))
    row("device-hours", Format.number(deviceHours))
    row(
      "energy",
      "\(Format.energy(kWh: energyKWh)) (\(Format.number(powerWattsPerDevice)) W per device, PUE \(Format.number(pue)))"
    )
    row("CO2e", "\(Format.mass(kg: co2eKg)) (\(region): \(Format.number(gridIntensity)) g/kWh)")
    row("cost", costUSD.map { "$" + Format.number($0) } ?? "— (give --price-per-device-hour)")
    row(
      "memory per device",
      "\(Format.bytes(memoryPerDeviceBytes)) of \(Format.bytes(deviceMemoryBytes)): \(fitsInMemory ? "fits" : "DOES NOT FIT")"
    )
    row("  parameters (fp32)", Format.bytes(memory.parameters))
    row("  gradients (fp32)", Format.bytes(memory.gradients))
    row("  optimizer state", Format.bytes(memory.optimizer))
    row("  activations", Format.bytes(memory.activations))
    row("  workspace", Format.bytes(memory.workspace))
    row("CO2e is like", equivalents.sentence)
    let width = rows.map(\.0.count).max() ?? 0
    var lines = [title]
    for (label, value) in rows {
      lines.append("  " + label.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + value)
    }
    if let bestStart, let earliestStart, let co2eKgBestStart, let co2eKgEarliestStart, let co2eKgSaving,
      let gridIntensityBestStart, let gridIntensityEarliestStart
    {
      let percent = co2eKgEarliestStart > 0 ? 100 * co2eKgSaving / co2eKgEarliestStart : 0
      lines.append(
        "best start \(bestStart): \(Format.mass(kg: co2eKgBestStart)) CO2e "
          + "(mean \(Format.number(gridIntensityBestStart)) g/kWh) instead of "
          + "\(Format.mass(kg: co2eKgEarliestStart)) starting at \(earliestStart)"
          + " (\(Format.number(gridIntensityEarliestStart)) g/kWh): saves "
          + "\(Format.mass(kg: co2eKgSaving)) (" + String(format: "%.1f%%", percent) + ")")
    }
    for note in notes { lines.append("note: " + note) }
    return lines.joined(separator: "\n")
  }
}
