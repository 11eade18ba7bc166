/// One `{"kind":"train",…}` line of `RUN_DIR/metrics.jsonl` (docs/report.md): what one
/// optimizer step measured. Written by Training's `MetricsLog`, read back on a resume and by
/// Reporting's `MetricsHistory`.
///
/// `tokens`, `flops`, `energyKWh` and `co2eKg` are cumulative for the whole job, resumes
/// included. Every value but `step` may be missing or `null` when read: the writer turns NaN and
/// infinities into `null`, and older or hand-made logs may lack a field.
public struct TrainMetrics: Codable, Equatable, Sendable {
  /// Counts from 1.
  public var step: Int
  /// Mean loss over the global batch, before the step's update.
  @NullWhenAbsent public var loss: Double? = nil
  @NullWhenAbsent public var learningRate: Double? = nil
  /// Global L2 norm of the gradients, before clipping.
  @NullWhenAbsent public var gradientNorm: Double? = nil
  @NullWhenAbsent public var tokens: Int? = nil
  @NullWhenAbsent public var stepMilliseconds: Double? = nil
  @NullWhenAbsent public var tokensPerSecond: Double? = nil
  @NullWhenAbsent public var mfu: Double? = nil
  /// Model FLOPs (PaLM) so far.
  @NullWhenAbsent public var flops: Double? = nil
  @NullWhenAbsent public var energyKWh: Double? = nil
  @NullWhenAbsent public var co2eKg: Double? = nil
  /// gCO2e/kWh the step was charged at; only with an intensity series (docs/accounting.md),
  /// and only then written.
  @OmittedWhenAbsent public var gridIntensity: Double? = nil

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
}

extension TrainMetrics {
  /// A train line for `step` with every figure unknown (`null`); the writer sets them all but
  /// `gridIntensity`, which only runs charged from an intensity series have.
  public init(step: Int) { self.step = step }
}
