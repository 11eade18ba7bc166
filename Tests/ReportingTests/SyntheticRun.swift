import Foundation
import RunFiles

/// A temporary run directory with a made-up `metrics.jsonl` (and optionally `report.json`),
/// deleted by `remove()`.
struct SyntheticRun {
  let directory: String

  /// Tokens per step of the synthetic runs.
  static let tokensPerStep = 4096

  /// A run of `steps` train lines whose loss falls from about 11 to about 3.5, with an eval every
  /// `evalEvery` steps, cumulative tokens/FLOPs/energy/CO2e, and a `report.json` when given.
  static func make(steps: Int = 300, evalEvery: Int = 50, reportJSON: String? = nil) throws
    -> SyntheticRun
  {
    var lines: [String] = []
    var energy = 0.0
    for step in 1...steps {
      let s = Double(step)
      // Deterministic wiggle instead of random noise: tests must not depend on a seed.
      let loss = 3.4 + 7.5 * exp(-s / 40) + 0.05 * sin(s * 1.7)
      let milliseconds = step == 1 ? 9000 : 4000 + 100 * sin(s * 0.37)
      energy += 0.02 * milliseconds / 3.6e6
      let tokens = step * tokensPerStep
      lines.append(
        """
        {"kind":"train","step":\(step),"loss":\(loss),"lr":0.0006,"grad_norm":1.2,\
        "tokens":\(tokens),\
        "step_ms":\(milliseconds),"tokens_per_s":\(Double(tokensPerStep) / milliseconds * 1000),\
        "mfu":\(0.4 * 4000 / milliseconds),"flops":\(6 * 124e6 * Double(tokens)),\
        "energy_kwh":\(energy),"co2e_kg":\(energy * 0.4)}
        """)
      if step % evalEvery == 0 {
        lines.append("{\"kind\":\"eval\",\"step\":\(step),\"val_loss\":\(loss + 0.1)}")
      }
    }
    return try make(metrics: lines.joined(separator: "\n") + "\n", reportJSON: reportJSON)
  }

  /// A run directory holding exactly `metrics` (nil: no metrics file) and `reportJSON`.
  static func make(metrics: String?, reportJSON: String? = nil) throws -> SyntheticRun {
    let directory = NSTemporaryDirectory() + "swiftlet-report-test-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    if let metrics {
      try metrics.write(toFile: directory + "/metrics.jsonl", atomically: true, encoding: .utf8)
    }
    if let reportJSON {
      try reportJSON.write(toFile: directory + "/report.json", atomically: true, encoding: .utf8)
    }
    return SyntheticRun(directory: directory)
  }

  func remove() { try? FileManager.default.removeItem(atPath: directory) }

  /// A `report.json` as the training loop writes it (most figures zero), with a projection to
  /// `fullTokens`, and a field this version does not know (as a newer writer's would be).
  static func reportJSON(steps: Int = 300, fullTokens: Double = 4_096_000) -> String {
    var report = RunReport()
    report.model = "tiny <test> & co"
    report.params = 124_439_808
    report.tokens = Double(steps * tokensPerStep)
    report.energyKWh = 0.0067
    report.co2eKg = 0.00268
    report.wallHours = 0.35
    report.mfu = 0.41
    report.lost.steps = 3
    report.lost.energyKWh = 0.0001
    report.projection.tokens = fullTokens
    report.projection.energyKWh = 0.022
    report.projection.co2eKg = 0.0088
    report.projection.wallHours = 1.2
    let text = String(decoding: try! RunFileJSON.document(report), as: UTF8.self)
    return "{\n  \"some_new_field\" : 12.5," + text.dropFirst()
  }
}
