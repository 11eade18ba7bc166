/// One `{"kind":"eval","step":S,"val_loss":L}` line of `RUN_DIR/metrics.jsonl` (contract
/// section 5): the validation loss after step S.
public struct EvalMetrics: Equatable, Sendable {
  public var step: Int
  /// Mean loss over the validation batches; nil when not finite (written as `null`) or missing.
  public var validationLoss: Double?

  /// An evaluation line for `step`.
  public init(step: Int, validationLoss: Double?) {
    self.step = step
    self.validationLoss = validationLoss
  }
}

extension EvalMetrics: Codable {
  enum CodingKeys: String, CodingKey {
    case step
    case validationLoss = "val_loss"
  }

  public init(from decoder: Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    step = try container.decode(Int.self, forKey: .step)
    validationLoss = container.decodeFinite(forKey: .validationLoss)
  }

  public func encode(to encoder: Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(step, forKey: .step)
    try container.encodeFinite(validationLoss, forKey: .validationLoss)
  }
}
