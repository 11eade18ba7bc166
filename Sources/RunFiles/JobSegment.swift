/// One line of `RUN_DIR/ledger.jsonl`: what one launch of `swiftlet train` did (docs/accounting.md).
///
/// A job that is paused, preempted or requeued runs as several segments; each writes its own
/// line at its end (rank 0), so per-job accounting on a shared cluster is a sum over lines with
/// the same `job_id`. Figures are this segment's increments of the cumulative ledger. The
/// `lost_*` fields are the work a previous segment did after its last checkpoint and never
/// logged (it crashed): booked when this segment resumed, because it redoes that work.
public struct JobSegment: Codable, Equatable, Sendable {
  /// `SLURM_JOB_ID`, or `local-<host>-<start>-<pid>`.
  public var jobID: String
  /// Host names of the ranks, each once, in rank order.
  public var hosts: [String]
  public var ranks: Int
  /// Real (not mapped) UTC start and end, ISO 8601.
  public var start: String
  public var end: String
  /// Completed steps when the segment began and ended.
  public var firstStep: Int
  public var lastStep: Int
  /// Optimizer steps computed in this segment.
  public var steps: Int
  public var tokens: Double
  public var energyKWh: Double
  public var co2eKg: Double
  /// CO2e / energy of this segment in gCO2e/kWh (energy-weighted); nil without energy.
  public var meanIntensity: Double?
  public var wallSeconds: Double
  public var lostSteps: Int
  public var lostEnergyKWh: Double
  public var lostCO2eKg: Double
  /// `finished`, `paused` (carbon), `preempted` (signal) or `stopped` (`--stop-at-step`).
  public var ended: String
  /// When paused: the instant the series next drops to `pause_above` or below (series time).
  public var resumeAt: String?
  /// With an intensity series: this segment's start and end on the mapped clock.
  public var clockStart: String?
  public var clockEnd: String?

  public init(
    jobID: String, hosts: [String], ranks: Int, start: String, end: String, firstStep: Int, lastStep: Int,
    steps: Int, tokens: Double, energyKWh: Double, co2eKg: Double, wallSeconds: Double, lostSteps: Int,
    lostEnergyKWh: Double, lostCO2eKg: Double, ended: String, resumeAt: String? = nil,
    clockStart: String? = nil, clockEnd: String? = nil
  ) {
    self.jobID = jobID
    self.hosts = hosts
    self.ranks = ranks
    self.start = start
    self.end = end
    self.firstStep = firstStep
    self.lastStep = lastStep
    self.steps = steps
    self.tokens = tokens
    self.energyKWh = energyKWh
    self.co2eKg = co2eKg
    meanIntensity = energyKWh > 0 ? co2eKg * 1000 / energyKWh : nil
    self.wallSeconds = wallSeconds
    self.lostSteps = lostSteps
    self.lostEnergyKWh = lostEnergyKWh
    self.lostCO2eKg = lostCO2eKg
    self.ended = ended
    self.resumeAt = resumeAt
    self.clockStart = clockStart
    self.clockEnd = clockEnd
  }

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
