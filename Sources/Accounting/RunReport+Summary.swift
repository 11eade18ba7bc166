import Foundation
import RunFiles

extension RunReport {
  /// The human summary printed at the end of a run.
  public var summary: String {
    let wall = Format.duration(seconds: wallHours * 3600)
    let method = energyMethod.replacingOccurrences(of: "_", with: " ")
    let mfuText = String(format: "%.1f%%", mfu * 100)
    var lines = [
      "swiftlet run: \(model), \(Format.number(params)) parameters, \(devices) × \(hardware) "
        + "(dp \(dataParallel) × tp \(tensorParallel)\((pipelineParallel ?? 1) > 1 ? " × pp \(pipelineParallel ?? 1)" : ""))",
      "  done       \(steps) steps, \(Format.number(tokens)) tokens in \(wall) "
        + "(\(Format.number(tokensPerSecond)) tok/s), \(Format.number(deviceHours)) device-hours",
      "  compute    \(Format.flops(modelFlops)) model FLOPs (PaLM), \(Format.flops(hardwareFlops)) executed; "
        + "MFU \(mfuText) of \(Format.rate(peak)) per device",
      "  energy     \(Format.energy(kWh: energyKWh)) (\(method), PUE \(Format.number(pue)))",
      "  CO2e       \(Format.mass(kg: co2eKg)) (\(region), \(Format.number(gridIntensity)) g/kWh) "
        + "— like \(equivalents.sentence)",
    ]
    if lost.steps > 0 || lost.energyKWh > 0 {
      lines.append(
        "  lost work  \(lost.steps) steps redone after crashes: \(Format.flops(lost.flops)) FLOPs, "
          + "\(Format.energy(kWh: lost.energyKWh)), \(Format.mass(kg: lost.co2eKg)) CO2e")
    } else {
      lines.append("  lost work  none")
    }
    if let costUSD { lines.append("  cost       $\(Format.number(costUSD))") }
    let p = projection
    var full =
      "  full run   \(Format.flops(p.tokens)) tokens: \(Format.duration(seconds: p.wallHours * 3600)), "
      + "\(Format.energy(kWh: p.energyKWh)), \(Format.mass(kg: p.co2eKg)) CO2e"
    if let cost = p.costUSD { full += ", $\(Format.number(cost))" }
    if p.remainingWallHours > 0 {
      full += " (\(Format.duration(seconds: p.remainingWallHours * 3600)) to go)"
    }
    lines.append(full)
    return lines.joined(separator: "\n")
  }
}
