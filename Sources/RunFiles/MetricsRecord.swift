/// One line of `RUN_DIR/metrics.jsonl`: a JSON object whose `kind` says what it records.
public enum MetricsRecord: Equatable, Sendable {
  /// The file in the run directory that holds one record per line.
  public static let fileName = "metrics.jsonl"

  /// `"kind":"train"`, one per optimizer step.
  case train(TrainMetrics)
  /// `"kind":"eval"`, one per evaluation.
  case eval(EvalMetrics)
  /// A line of another kind (or none), for other readers; only its step is known here.
  case other(kind: String?, step: Int)

  /// The documented order of a metrics line's keys (docs/report.md): `kind` and `step` first.
  public static let keyOrder = [
    "kind", "step", "loss", "lr", "grad_norm", "tokens", "step_ms", "tokens_per_s", "mfu", "flops", "energy_kwh",
    "co2e_kg", "grid_intensity", "val_loss",
  ]

  /// The step the line belongs to.
  public var step: Int {
    switch self {
    case .train(let metrics): return metrics.step
    case .eval(let metrics): return metrics.step
    case .other(_, let step): return step
    }
  }
}

extension MetricsRecord: Codable {
  private enum CodingKeys: String, CodingKey {
    case kind, step
  }

  /// Fails when the line has no whole-number `step` (such a line belongs to no step).
  public init(from decoder: Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    let kind = try? container.decodeIfPresent(String.self, forKey: .kind)
    switch kind {
    case "train": self = .train(try TrainMetrics(from: decoder))
    case "eval": self = .eval(try EvalMetrics(from: decoder))
    default: self = .other(kind: kind, step: try container.decode(Int.self, forKey: .step))
    }
  }

  /// `kind`, then the record's own fields in the same object.
  public func encode(to encoder: Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    switch self {
    case .train(let metrics):
      try container.encode("train", forKey: .kind)
      try metrics.encode(to: encoder)
    case .eval(let metrics):
      try container.encode("eval", forKey: .kind)
      try metrics.encode(to: encoder)
    case .other(let kind, let step):
      try container.encodeIfPresent(kind, forKey: .kind)
      try container.encode(step, forKey: .step)
    }
  }
}
