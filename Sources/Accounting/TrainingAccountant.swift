import RunFiles

/// The training loop's accounting in one place: per-step FLOPs, the ledger, live MFU and the
/// final report. MPI stays out (the loop owns collectives): each step the loop sums
/// `meter.takeDelta().kWh` over all ranks and passes the sum to `record`.
///
///     let accountant = TrainingAccountant(run: run)  // then replaceLedger(_:) on a resume
///     // every rank, every step:
///     let mine = meter.takeDelta().kWh
///     let all = try world.allreduce(mine)           // sum over ranks
///     let live = accountant.record(stepSeconds: seconds, energyKWh: all)
///     // rank 0: metrics.jsonl gets live.mfu, live.ledger.flops, .energyKWh, .co2eKg, .tokens
///
/// Every rank can call `record` (the inputs are global), so every rank holds the same ledger
/// for the checkpoint.
public final class TrainingAccountant {
  public private(set) var run: RunDescription
  /// The per-device peak as calibrated, before any step raised it.
  public let calibratedPeak: Double
  /// Set when a step ran faster than the calibrated peak, which is then raised to the rate that
  /// step reached: the calibration ran in a busy moment (an MFU above 100% is never reported).
  public private(set) var peakRaised = false
  /// PaLM model FLOPs of one step (global tokens).
  public let modelFlopsPerStep: Double
  /// GEMM FLOPs the kernels execute in one step, all ranks.
  public let hardwareFlopsPerStep: Double
  public private(set) var ledger = ComputeLedger()

  /// What one recorded step looked like.
  public struct Live: Sendable {
    /// MFU of this step: model FLOPs / (seconds × devices × peak).
    public var mfu: Double
    public var ledger: ComputeLedger
  }

  public init(run: RunDescription) {
    self.run = run
    calibratedPeak = run.hardware.peakFlops
    modelFlopsPerStep = ModelFlops.perStep(run.model, tokensPerStep: run.tokensPerStep, seqLen: run.seqLen)
    hardwareFlopsPerStep =
      KernelFlops(
        config: run.model, sequences: run.tokensPerStep / max(1, run.seqLen), seqLen: run.seqLen,
        tensorParallel: run.tensorParallel, recomputesBlocks: run.recompute
      ).total
  }

  /// Adds one optimizer step that took `stepSeconds` of wall time and `energyKWh` of facility
  /// energy summed over all ranks, charged at `gramsPerKWh` (the intensity series' value when
  /// the step started) or, when nil, at the run's fixed grid intensity.
  @discardableResult
  public func record(stepSeconds: Double, energyKWh: Double, gramsPerKWh: Double? = nil) -> Live {
    var grid = run.grid
    if let gramsPerKWh { grid.gramsPerKWh = gramsPerKWh }
    ledger.addStep(
      modelFlops: modelFlopsPerStep, hardwareFlops: hardwareFlopsPerStep, tokens: run.tokensPerStep,
      energyKWh: energyKWh, gridIntensity: grid, wallSeconds: stepSeconds, ranks: run.devices)
    // What this step proves the devices can do: it ran all its GEMM FLOPs (and more) in
    // stepSeconds, so neither rate can exceed the true peak.
    if stepSeconds > 0, run.hardware.kind == .cpu {
      let reached = max(hardwareFlopsPerStep, modelFlopsPerStep) / (stepSeconds * Double(run.devices))
      if reached > run.hardware.peakFlops {
        run.hardware.peakFlops = reached
        peakRaised = true
      }
    }
    let peak = run.hardware.peakFlops
    return Live(
      mfu: MFU.utilisation(
        modelFlops: modelFlopsPerStep, seconds: stepSeconds, devices: run.devices, peakPerDevice: peak),
      ledger: ledger)
  }

  /// Continues from a ledger read back from a checkpoint.
  public func replaceLedger(_ ledger: ComputeLedger) {
    self.ledger = ledger
  }

  /// Books work lost to a crash (see `ComputeLedger.LostWork.since`), once, after a resume.
  public func addLostWork(_ lost: ComputeLedger.LostWork) {
    ledger.addLostWork(lost, ranks: run.devices)
  }

  /// The report of the run so far (`report.json` and the summary).
  public func report(tokensPerSecond: Double? = nil) -> RunReport {
    RunReport(ledger: ledger, run: run, tokensPerSecond: tokensPerSecond)
  }
}
