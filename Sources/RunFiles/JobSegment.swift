/// One line of `RUN_DIR/ledger.jsonl`: what one launch of `swiftlet train` did (docs/accounting.md).
///
/// A job that is paused, preempted or requeued runs as several segments; each writes its own
/// line at its end (rank 0), so per-job accounting on a shared cluster is a sum over lines with
/// the same `job_id`. Figures are this segment's increments of the cumulative ledger. The
/// `lost_*` fields are the work a previous segment did after its last checkpoint and never
/// logged (it crashed): booked when this segment resumed, because it redoes that work.
public struct JobSegment: Codable, Equatable, Sendable {
  /// `SLURM_JOB_ID`, or `local-<host>-<start>-<pid>`.
  public var jobID = ""
  /// Host names of the ranks, each once, in rank order.
  public var hosts: [String] = []
  public var ranks = 0
  /// Real (not mapped) UTC start and end, ISO 8601.
  public var start = ""
  public var end = ""
  /// Completed steps when the segment began and ended.
  public var firstStep = 0
  public var lastStep = 0
  /// Optimizer steps computed in this segment.
  public var steps = 0
  public var tokens = 0.0
  public var energyKWh = 0.0
  public var co2eKg = 0.0
  /// CO2e / energy of this segment in gCO2e/kWh (energy-weighted); nil without energy.
  public var meanIntensity: Double?
  public var wallSeconds = 0.0
  public var lostSteps = 0
  public var lostEnergyKWh = 0.0
  public var lostCO2eKg = 0.0
  /// `finished`, `paused` (carbon), `preempted` (signal) or `stopped` (`--stop-at-step`).
  public var ended = ""
  /// When paused: the instant the series next drops to `pause_above` or below (series time).
  public var resumeAt: String?
  /// With an intensity series: this segment's start and end on the mapped clock.
  public var clockStart: String?
  public var clockEnd: String?

  /// A segment of zeros, for Training's ledger to fill in.
  public init() {}

  enum CodingKeys: String, CodingKey {
    case jobID = "job_id"
    case hosts, ranks, start, end
    case firstStep = "first_step"
    case lastStep = "last_step"
    case steps, tokens
    case energyKWh = "energy_kwh"
    case co2eKg = "co2e_kg"
    case meanIntensity = "mean_intensity"
    case wallSeconds = "wall_seconds"
    case lostSteps = "lost_steps"
    case lostEnergyKWh = "lost_energy_kwh"
    case lostCO2eKg = "lost_co2e_kg"
    case ended
    case resumeAt = "resume_at"
    case clockStart = "clock_start"
    case clockEnd = "clock_end"
  }
}
