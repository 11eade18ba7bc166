/// One `{"kind":"train",…}` line of `RUN_DIR/metrics.jsonl` (docs/report.md): what one
/// optimizer step measured. Written by Training's `MetricsLog`, read back on a resume and by
/// Reporting's `MetricsHistory`.
///
/// `tokens`, `flops`, `energyKWh` and `co2eKg` are cumulative for the whole job, resumes
/// included. Every value but `step` may be missing or `null` when read: the writer turns NaN and
/// infinities into `null`, and older or hand-made logs may lack a field.
public struct TrainMetrics: Equatable, Sendable {
  /// Counts from 1.
  public var step: Int
  /// Mean loss over the global batch, before the step's update.
  public var loss: Double?
  public var learningRate: Double?
  /// Global L2 norm of the gradients, before clipping.
  public var gradientNorm: Double?
  public var tokens: Int?
  public var stepMilliseconds: Double?
  public var tokensPerSecond: Double?
  public var mfu: Double?
  /// Model FLOPs (PaLM) so far.
  public var flops: Double?
  public var energyKWh: Double?
  public var co2eKg: Double?
  /// gCO2e/kWh the step was charged at; only with an intensity series (docs/accounting.md),
  /// and only then written.
  public var gridIntensity: Double?

  /// A train line for `step`; the writer gives every figure but `gridIntensity`, which only
  /// runs charged from an intensity series have.
  public init(
    step: Int, loss: Double? = nil, learningRate: Double? = nil, gradientNorm: Double? = nil, tokens: Int? = nil,
    stepMilliseconds: Double? = nil, tokensPerSecond: Double? = nil, mfu: Double? = nil, flops: Double? = nil,
    energyKWh: Double? = nil, co2eKg: Double? = nil, gridIntensity: Double? = nil
  ) {
    self.step = step
    self.loss = loss
    self.learningRate = learningRate
    self.gradientNorm = gradientNorm
    self.tokens = tokens
    self.stepMilliseconds = stepMilliseconds
    self.tokensPerSecond = tokensPerSecond
    self.mfu = mfu
    self.flops = flops
    self.energyKWh = energyKWh
    self.co2eKg = co2eKg
    self.gridIntensity = gridIntensity
  }
}

extension TrainMetrics: Codable {
  enum CodingKeys: String, CodingKey {
    case step, loss
    case learningRate = "lr"
    case gradientNorm = "grad_norm"
    case tokens
    case stepMilliseconds = "step_ms"
    case tokensPerSecond = "tokens_per_s"
    case mfu, flops
    case energyKWh = "energy_kwh"
    case co2eKg = "co2e_kg"
    case gridIntensity = "grid_intensity"
  }

  public init(from decoder: Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    step = try container.decode(Int.self, forKey: .step)
    loss = container.decodeFinite(forKey: .loss)
    learningRate = container.decodeFinite(forKey: .learningRate)
    gradientNorm = container.decodeFinite(forKey: .gradientNorm)
    tokens = container.decodeCount(forKey: .tokens)
    stepMilliseconds = container.decodeFinite(forKey: .stepMilliseconds)
    tokensPerSecond = container.decodeFinite(forKey: .tokensPerSecond)
    mfu = container.decodeFinite(forKey: .mfu)
    flops = container.decodeFinite(forKey: .flops)
    energyKWh = container.decodeFinite(forKey: .energyKWh)
    co2eKg = container.decodeFinite(forKey: .co2eKg)
    gridIntensity = container.decodeFinite(forKey: .gridIntensity)
  }

  /// Every field of the contract, `null` when unknown; `grid_intensity` only when set.
  public func encode(to encoder: Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(step, forKey: .step)
    try container.encodeFinite(loss, forKey: .loss)
    try container.encodeFinite(learningRate, forKey: .learningRate)
    try container.encodeFinite(gradientNorm, forKey: .gradientNorm)
    if let tokens { try container.encode(tokens, forKey: .tokens) } else { try container.encodeNil(forKey: .tokens) }
    try container.encodeFinite(stepMilliseconds, forKey: .stepMilliseconds)
    try container.encodeFinite(tokensPerSecond, forKey: .tokensPerSecond)
    try container.encodeFinite(mfu, forKey: .mfu)
    try container.encodeFinite(flops, forKey: .flops)
    try container.encodeFinite(energyKWh, forKey: .energyKWh)
    try container.encodeFinite(co2eKg, forKey: .co2eKg)
    if gridIntensity != nil { try container.encodeFinite(gridIntensity, forKey: .gridIntensity) }
  }
}
