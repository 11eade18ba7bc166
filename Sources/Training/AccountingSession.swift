import Accounting
import Foundation
import Parallel
import RunFiles
import SwiftletCore

/// The training loop's view of compute accounting (docs/accounting.md): one call per step, cumulative
/// figures back, the ledger in and out of checkpoints, the report at the end.
///
/// Energy is measured per rank (CPU time × watts per core) or per node (RAPL, on the node
/// leader only) and summed over the world every step, so every rank holds the same ledger.
final class AccountingSession {
  let grid: ProcessGrid
  let accountant: TrainingAccountant
  let meter: EnergyMeter
  let hardware: HardwareProfile
  /// Rank 0's intensity series on the mapped clock; nil on other ranks and without a series.
  let carbon: CarbonSchedule?
  /// Whether `accounting.intensity_series` is set (known on every rank).
  let usesSeries: Bool
  /// The lost work booked by `restore`, for this launch's ledger line.
  private(set) var lostAtResume: ComputeLedger.LostWork?
  private var smoothed: Double = 0
  private var stepsSeen = 0

  init(config: RunConfig, grid: ProcessGrid, threadsPerRank: Int) throws {
    self.grid = grid
    let name = config.accounting.hardware
    if HardwareProfile.isCPU(name) {
      // The node leader measures the run's own GEMM shapes with the run's thread count while
      // the node's other ranks wait (concurrent measurements would share the cores and
      // under-measure); the figure is then shared over the node.
      var measured = 0.0
      if grid.isNodeLeader {
        let rows = config.train.batchSize / max(1, grid.dpSize * config.gradAccum) * config.seqLen
        let shapes = GemmShape.model(dModel: config.model.dModel, vocabSize: config.model.vocabSize, rows: max(1, rows))
        measured = SgemmCalibration.measure(threads: threadsPerRank, shapes: shapes)
      }
      let perRank = try grid.largestOnNode(measured)
      hardware = HardwareProfile.thisMachine(
        perCorePeak: perRank / Double(threadsPerRank), coresPerDevice: threadsPerRank)
    } else {
      hardware = try HardwareProfile.resolve(name, coresPerDevice: threadsPerRank)
    }
    var gridIntensity = try GridIntensity.resolve(
      gramsPerKWh: config.accounting.gridIntensity, region: config.accounting.region)
    let seriesPath = config.accounting.intensitySeries
    usesSeries = !seriesPath.isEmpty
    carbon = try AccountingSession.loadSchedule(config: config, grid: grid)
    if usesSeries {
      // Per-step charges come from the series; this figure only labels the report until
      // the job's energy-weighted mean replaces it.
      gridIntensity = .series(at: seriesPath)
    }
    meter = try EnergyMeter(isNodeLeader: grid.isNodeLeader, pue: config.accounting.pue)
    let price = config.accounting.pricePerDeviceHour
    let run = RunDescription(
      modelName: config.modelKeys.preset.isEmpty ? "custom" : config.modelKeys.preset,
      model: config.model, seqLen: config.seqLen, tokensPerStep: config.tokensPerStep,
      maxSteps: config.train.maxSteps, targetTokens: config.accounting.targetTokens, devices: grid.worldSize,
      tensorParallel: grid.tpSize, microBatch: config.train.batchSize / (grid.dpSize * config.gradAccum),
      optimizer: config.train.optimizer, hardware: hardware,
      grid: gridIntensity, pue: config.accounting.pue,
      pricePerDeviceHour: price > 0 ? price : nil, energyMethod: meter.method,
      recompute: config.train.recompute, pipelineParallel: grid.ppSize, microbatches: config.gradAccum)
    accountant = TrainingAccountant(run: run)
  }

  /// Continues the totals of a resumed run; on rank 0 also books the work the previous run did
  /// after this checkpoint and lost (read from its `metrics.jsonl` before it is cut back).
  func restore(ledger attributes: [String: Double], resumedStep: Int, metricsPath: String?) throws {
    let checkpointLedger = try ComputeLedger(attributes: attributes)
    accountant.replaceLedger(checkpointLedger)
    guard let metricsPath, let data = FileManager.default.contents(atPath: metricsPath) else { return }
    var last: TrainMetrics?
    var lostSeconds = 0.0
    for case .train(let record) in RunFileJSON.records(MetricsRecord.self, in: data) where record.step > resumedStep {
      last = record
      lostSeconds += (record.stepMilliseconds ?? 0) / 1000
    }
    guard let last else { return }
    let lost = ComputeLedger.LostWork.since(
      checkpoint: checkpointLedger, checkpointStep: resumedStep, loggedStep: last.step,
      loggedTokens: Double(last.tokens ?? 0), loggedFlops: last.flops ?? 0, loggedEnergyKWh: last.energyKWh ?? 0,
      loggedCO2eKg: last.co2eKg ?? 0, loggedWallSecondsAfterCheckpoint: lostSeconds)
    accountant.addLostWork(lost)
    lostAtResume = lost
  }

  /// Rank 0 reads the series and checks the clock; a bad file stops every rank with the same
  /// one-line error (printed once).
  private static func loadSchedule(config: RunConfig, grid: ProcessGrid) throws -> CarbonSchedule? {
    let path = config.accounting.intensitySeries
    guard !path.isEmpty else { return nil }
    var schedule: CarbonSchedule?
    _ = try Coordinator.answer(
      isCoordinator: grid.isCoordinator, broadcast: grid.coordinatorText, raisedByAllRanks: true
    ) {
      let pause = config.accounting.pauseAbove
      schedule = try CarbonSchedule(
        series: try IntensitySeries.load(path: path), pauseAbove: pause > 0 ? pause : nil,
        clockStart: config.carbonClockStart)
      return ""
    }
    return schedule
  }

  /// The series' verdict on the step about to start, decided on rank 0 and broadcast
  /// (collective when a series is configured; nil without one).
  func carbonDecision() throws -> CarbonSchedule.Decision? {
    guard usesSeries else { return nil }
    var decision = carbon?.decide()
    var wire: [Double] =
      decision.map { [$0.time, $0.gramsPerKWh, $0.pause ? 1 : 0, $0.resumeAt ?? .nan] }
      ?? [0, 0, 0, .nan]
    try wire.withUnsafeMutableBufferPointer { try grid.coordinatorValues($0.baseAddress!, count: 4) }
    if decision == nil {
      decision = CarbonSchedule.Decision(
        time: wire[0], gramsPerKWh: wire[1], pause: wire[2] != 0, resumeAt: wire[3].isNaN ? nil : wire[3])
    }
    return decision
  }

  /// Books one step on every rank (the energy allreduce is a collective): the step as recorded,
  /// and the smoothed step time.
  func recordStep(
    seconds: Double, gramsPerKWh: Double? = nil
  ) throws -> (live: TrainingAccountant.Live, smoothedStepSeconds: Double) {
    let energy = try grid.sumOverWorld(meter.takeDelta().kWh)
    let live = accountant.record(stepSeconds: seconds, energyKWh: energy, gramsPerKWh: gramsPerKWh)
    stepsSeen += 1
    // Bias-corrected EMA of the step time (llm.c): the first step includes warm-up, left out.
    if stepsSeen > 1 {
      smoothed = smoothed == 0 ? seconds : 0.9 * smoothed + 0.1 * seconds
    }
    return (live, smoothed == 0 ? seconds : smoothed)
  }

  /// The end-of-run report: `report.json` content and the human summary.
  func report() -> RunReport {
    var report = accountant.report(
      tokensPerSecond: smoothed > 0 ? Double(accountant.run.tokensPerStep) / smoothed : nil)
    if usesSeries {
      // The whole job's energy-weighted mean: CO2e / energy.
      let ledger = accountant.ledger
      report.gridIntensity = ledger.energyKWh > 0 ? ledger.co2eKg * 1000 / ledger.energyKWh : 0
    }
    return report
  }
}
