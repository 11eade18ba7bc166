/// One `{"kind":"eval","step":S,"val_loss":L}` line of `RUN_DIR/metrics.jsonl` (docs/report.md):
/// the validation loss after step S.
public struct EvalMetrics: Codable, Equatable, Sendable {
  public var step: Int
  /// Mean loss over the validation batches; nil when not finite (written as `null`) or missing.
  @NullWhenAbsent public var validationLoss: Double?

  /// An evaluation line for `step`.
  public init(step: Int, validationLoss: Double?) {
    self.step = step
    self.validationLoss = validationLoss
  }

  enum CodingKeys: String, CodingKey {
    case step
    case validationLoss = "val_loss"
  }
}
