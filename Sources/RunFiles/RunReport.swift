/// `RUN_DIR/report.json` (docs/accounting.md, docs/report.md): the run as done, its
/// projection to the configured full run, and how the job ran. Written by the training loop at
/// the end of a run (and at pauses and preemptions), read by Reporting's page.
///
/// Accounting computes the figures (`RunReport(ledger:run:tokensPerSecond:)`); the training
/// loop fills in the fields after `region`. Those are optional: a report made outside the loop
/// (the accounting tests) has none of them, and an absent one is not written.
public struct RunReport: Codable, Equatable, Sendable {
  /// The file in the run directory.
  public static let fileName = "report.json"

  /// Work that was computed after the last checkpoint of a crashed launch and redone after the
  /// resume: in the totals, and here.
  public struct Lost: Codable, Equatable, Sendable {
    public var steps = 0
    public var tokens = 0.0
    public var flops = 0.0
    public var energyKWh = 0.0
    public var co2eKg = 0.0
    public var wallHours = 0.0

    /// No lost work, for the builder in Accounting to fill in.
    public init() {}

    enum CodingKeys: String, CodingKey {
      case steps, tokens, flops
      case energyKWh = "energy_kwh"
      case co2eKg = "co2e_kg"
      case wallHours = "wall_hours"
    }
  }

  /// The configured full run: the totals so far plus the remaining tokens at the observed
  /// throughput and energy per token.
  public struct Projection: Codable, Equatable, Sendable {
    public var tokens = 0.0
    public var steps = 0.0
    public var flops = 0.0
    public var modelFlops = 0.0
    public var deviceHours = 0.0
    public var wallHours = 0.0
    public var remainingWallHours = 0.0
    public var energyKWh = 0.0
    public var co2eKg = 0.0
    public var costUSD: Double?
    /// How the projection was made, in words.
    public var basis = ""

    /// A projection of zeros, for the builder in Accounting to fill in.
    public init() {}

    enum CodingKeys: String, CodingKey {
      case tokens, steps, flops
      case modelFlops = "model_flops"
      case deviceHours = "device_hours"
      case wallHours = "wall_hours"
      case remainingWallHours = "remaining_wall_hours"
      case energyKWh = "energy_kwh"
      case co2eKg = "co2e_kg"
      case costUSD = "cost_usd"
      case basis
    }
  }

  /// Preset name, or `custom`.
  public var model = ""
  public var params = 0.0
  public var tokens = 0.0
  /// 6·N·D over the tokens processed.
  public var flops = 0.0
  /// PaLM model FLOPs (the ledger's).
  public var modelFlops = 0.0
  /// GEMM FLOPs the kernels executed (recomputation included).
  public var hardwareFlops = 0.0
  public var deviceHours = 0.0
  public var wallHours = 0.0
  public var energyKWh = 0.0
  public var co2eKg = 0.0
  public var memoryPerDeviceBytes = 0.0
  public var costUSD: Double?
  /// FLOP/s per device the MFU is measured against.
  public var peak = 0.0
  public var mfu = 0.0
  public var tokensPerSecond = 0.0
  public var devices = 0
  public var tensorParallel = 0
  public var dataParallel = 0
  /// Pipeline stages (absent in reports written before pipeline parallelism existed).
  public var pipelineParallel: Int?
  public var hardware = ""
  public var steps = 0
  public var energyMethod = ""
  public var pue = 0.0
  /// gCO2e/kWh: the fixed figure, or with an intensity series the job's energy-weighted mean.
  public var gridIntensity = 0.0
  public var region = ""
  public var lost = Lost()
  public var equivalents = CarbonEquivalents(co2eKg: 0)
  public var projection = Projection()

  /// Steps whose loss or gradients were not finite and whose update was skipped.
  public var skippedNonfiniteSteps: Int?
  /// The BLAS library and kernel the run computed with.
  public var blas: BLASReport?
  /// The per-device peak as calibrated at the start, before a faster step raised `peak`.
  public var peakCalibrated: Double?
  /// Whether a step ran faster than the calibrated peak, which was then raised to it.
  public var peakRaised: Bool?
  /// Launches that crashed and were relaunched (launch/elastic.sh's `elastic.jsonl`).
  public var restarts: Int?
  /// `accounting.intensity_series`, when the run was charged from one.
  public var intensitySeries: String?
  /// Every line of `ledger.jsonl`: one per launch of the job.
  public var segments: [JobSegment]?

  /// A report of zeros, for the builder in Accounting to fill in.
  public init() {}

  enum CodingKeys: String, CodingKey {
    case model, params, tokens, flops
    case modelFlops = "model_flops"
    case hardwareFlops = "hardware_flops"
    case deviceHours = "device_hours"
    case wallHours = "wall_hours"
    case energyKWh = "energy_kwh"
    case co2eKg = "co2e_kg"
    case memoryPerDeviceBytes = "memory_per_device_bytes"
    case costUSD = "cost_usd"
    case peak, mfu
    case tokensPerSecond = "tokens_per_second"
    case devices
    case tensorParallel = "tp"
    case dataParallel = "dp"
    case pipelineParallel = "pp"
    case hardware, steps
    case energyMethod = "energy_method"
    case pue
    case gridIntensity = "grid_intensity"
    case region, lost, equivalents, projection
    case skippedNonfiniteSteps = "skipped_nonfinite_steps"
    case blas
    case peakCalibrated = "peak_calibrated"
    case peakRaised = "peak_raised"
    case restarts
    case intensitySeries = "intensity_series"
    case segments
  }
}
