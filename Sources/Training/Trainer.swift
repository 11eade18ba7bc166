import Accounting
import Checkpointing
import Dataset
import Foundation
import GPT
import Kernels
import Optimizers
import Parallel
import Reporting
import RunFiles
import SwiftletCore

/// The training loop of one rank (docs/configuration.md, docs/accounting.md).
///
/// Every rank runs the same sequence of collectives; rank 0 additionally logs, writes
/// `metrics.jsonl`, checkpoints and the report. The loop knows nothing about tensor layouts:
/// it asks the model for forward/backward, `GradientBuckets` for the data-parallel sum, and the
/// optimizer for the update.
///
/// With `parallel.pp > 1` each rank holds one pipeline stage and the step's micro-batches run
/// through the stages under the 1F1B schedule (`PipelineSchedule`); the loss comes from the last
/// stage, the gradient norm sums all stages, and the first and last stage sum their copies of
/// the tied embedding's gradient before the update.
///
/// With `parallel.zero = 1` (ZeRO stage 1) the optimizer state is sharded over the data-parallel
/// ranks: `statePartition` gives each rank whole tensors of the arena, the buckets reduce each
/// gradient to its owner only, the owner updates its range, and an all-gather hands the new
/// parameters to every replica (docs/parallelism.md).
public final class Trainer {
  public let config: RunConfig
  public let grid: ProcessGrid
  public let model: GPTModel
  /// This rank's optimizer: over the whole arena, or over `ownedRange` only under ZeRO-1.
  public let optimizer: Optimizer
  /// ZeRO-1's split of the arena over the data-parallel ranks; nil when the state is replicated.
  public let statePartition: ArenaPartition?
  /// The arena range whose parameters this rank's optimizer updates.
  public let ownedRange: Range<Int>
  /// ZeRO-2: the gradients outside `ownedRange` are given back to the OS once reduced, and are
  /// released rather than zeroed at the start of a step.
  let releasesUnownedGradients: Bool
  let buckets: GradientBuckets
  /// The stage-to-stage link (one stage without pipeline parallelism).
  let pipeline: PipelineLink
  /// Forward/backward compute and wall time of the pipeline schedule since the last reset
  /// (`bench --pp` reads the bubble from it).
  public var pipelineTiming = PipelineTiming()
  let sampler: BatchSampler
  let evaluator: Evaluator?
  let partition: BatchPartition
  let schedule: LearningRateSchedule
  let progress: ProgressPrinter
  let accounting: AccountingSession
  /// This launch's line of `RUN_DIR/ledger.jsonl`.
  let segments: SegmentLedger
  private var metrics: MetricsLog?

  /// Completed optimizer steps.
  public private(set) var step = 0
  /// Tokens consumed by the completed steps (global).
  public private(set) var tokensSeen = 0
  /// Steps whose update was skipped because the loss or gradients were not finite.
  public private(set) var skippedSteps = 0
  private var nonfiniteStreak = 0
  /// Step at which to checkpoint and stop as if preempted (tests and the demo use it).
  public var stopAtStep: Int?
  /// The checkpoint this run resumed from, if any.
  public private(set) var resumedFrom: String?

  public init(config: RunConfig, grid: ProcessGrid) throws {
    self.config = config
    self.grid = grid
    try ParameterLayout.validate(config: config.model, tpSize: grid.tpSize)
    try config.validateLayout(dataParallel: grid.dpSize)
    model = try GPTModel(
      config: config.model, region: grid.tensorParallelRegion,
      stage: PipelineStage(index: grid.ppRank, of: grid.ppSize, layers: config.model.nLayer))
    pipeline = grid.pipelineLink
    model.recomputesBlocks = config.train.recompute
    ModelInitializer.initialize(model.parameters, layout: model.layout, seed: config.seed)
    // ZeRO-1 over a single data-parallel rank would be the unsharded optimizer with extra steps.
    statePartition =
      config.parallel.zero >= .optimizerState && grid.dpSize > 1
      ? ArenaPartition(
        tensorOffsets: model.layout.tensors.map(\.offset), arenaCount: model.layout.count, parts: grid.dpSize)
      : nil
    ownedRange = statePartition?.ranges[grid.dpRank] ?? 0..<model.layout.count
    optimizer = try Trainer.makeOptimizer(
      config: config, model: model, grid: grid, owned: ownedRange)
    releasesUnownedGradients = config.parallel.zero == .gradients && statePartition != nil
    buckets = grid.gradientBuckets(
      gradients: model.gradients, owners: statePartition, releasesUnowned: releasesUnownedGradients)
    partition = BatchPartition(
      globalBatch: config.train.batchSize, gradAccum: config.gradAccum, dpRank: grid.dpRank, dpSize: grid.dpSize)
    let trainStream = try TokenStream(pattern: config.data.train)
    sampler = BatchSampler(
      stream: trainStream, seqLen: config.seqLen, shuffleSeed: config.data.shuffle ? config.seed : nil)
    let valPattern = config.data.val
    if valPattern.isEmpty {
      evaluator = nil
    } else {
      evaluator = Evaluator(
        stream: try TokenStream(pattern: valPattern), seqLen: config.seqLen, partition: partition,
        batches: config.train.evalBatches)
    }
    schedule = LearningRateSchedule(
      peak: config.train.lr, minimum: config.train.minLR,
      warmupSteps: config.train.warmupSteps, totalSteps: config.train.maxSteps)
    progress = ProgressPrinter(every: config.train.logEvery)
    accounting = try AccountingSession(config: config, grid: grid, threadsPerRank: max(1, blasThreads))
    segments = try SegmentLedger(grid: grid)
    try resumeIfRequested()
    let initFrom = config.modelKeys.initFrom
    if resumedFrom == nil && !initFrom.isEmpty {
      // A resume checkpoint takes precedence: init_from only seeds the first start.
      let origin = try InitialWeights.load(
        source: initFrom, model: model, grid: grid, scratchDirectory: config.run.dir)
      if grid.isCoordinator { progress.event("initialised the weights from \(origin) (fresh optimizer, step 0)") }
    }
    segments.begin(ledger: accounting.accountant.ledger, step: step, lostAtResume: accounting.lostAtResume)
  }

  /// The configured optimizer over the tensors starting in `owned` (the whole arena without
  /// ZeRO), addressed relative to `owned.lowerBound`: call it with arena pointers advanced by it.
  static func makeOptimizer(
    config: RunConfig, model: GPTModel, grid: ProcessGrid, owned: Range<Int>
  ) throws -> Optimizer {
    let segments = model.optimizerSegments(in: owned)
    switch config.train.optimizer {
    case .adafactor:
      // Shards factor as slices of the full matrices: their partial sums meet across tp.
      let beta1 = config.train.adafactorBeta1
      return try Adafactor(
        segments: segments, arenaCount: owned.count, beta1: beta1 > 0 ? beta1 : nil,
        weightDecay: config.train.weightDecay,
        shardSum: grid.tpSize > 1 ? { try grid.sumOverTensorParallel($0, count: $1) } : nil)
    case .adamw:
      return AdamW(
        segments: segments, arenaCount: owned.count,
        beta1: config.train.beta1, beta2: config.train.beta2,
        epsilon: config.train.eps, weightDecay: config.train.weightDecay)
    }
  }

  private func resumeIfRequested() throws {
    guard
      let reader = try ResumeSource.resolve(
        config: config, grid: grid, warn: { if grid.isCoordinator { progress.warning($0) } })
    else { return }
    let stored = try RunConfig.fromJSON(reader.config)
    guard stored.model == config.model else {
      throw SwiftletError(
        "\(reader.path) is a checkpoint of another model (\(stored.model.nLayer) layers, d_model \(stored.model.dModel), "
          + "vocab \(stored.model.vocabSize)); this run is \(config.model.nLayer) layers, d_model \(config.model.dModel), "
          + "vocab \(config.model.vocabSize). Use another run.dir or checkpoint.resume = never")
    }
    try ShardedCheckpoint.load(reader: reader, model: model, optimizer: optimizer)
    step = reader.step
    resumedStep = step
    tokensSeen = Int(reader.tokensSeen)
    let state = try reader.state()
    skippedSteps = Int(state.integers["skipped_steps"] ?? 0)
    try accounting.restore(
      ledger: try reader.accounting(), resumedStep: step,
      metricsPath: grid.isCoordinator ? metricsPath : nil)
    resumedFrom = reader.path
    if grid.isCoordinator {
      progress.event(
        "resuming from \(reader.path) at step \(step) (\(tokensSeen) tokens; written by \(state.strings["written_by_layout"] ?? "?"))"
      )
    }
  }

  /// `RUN_DIR/metrics.jsonl`: rank 0 appends to it and reads it back on a resume.
  private var metricsPath: String { config.run.dir + "/" + MetricsRecord.fileName }

  /// Writes a checkpoint of the current step (collective) and prunes old ones.
  public func saveCheckpoint() throws {
    let start = MonotonicClock.now()
    let directory = config.run.dir + "/checkpoints"
    let path: String
    do {
      path = try ShardedCheckpoint.save(
        model: model, optimizer: optimizer, statePartition: statePartition, grid: grid, directory: directory,
        metadata: .init(
          step: step, tokensSeen: tokensSeen, configJSON: config.json, ledger: accounting.accountant.ledger.attributes,
          state: CheckpointState(integers: ["skipped_steps": Int64(skippedSteps)])))
    } catch let error as SwiftletError
      where error.raisedByAllRanks && config.checkpoint.onError == .continue
    {
      // Every rank got the same outcome from rank 0, so all continue together.
      if grid.isCoordinator {
        progress.warning("\(error.message); continuing without it (checkpoint.on_error = continue)")
      }
      return
    }
    if grid.isCoordinator {
      let removed = (try? CheckpointDirectory(path: directory).prune(keep: config.checkpoint.keep)) ?? []
      progress.event(
        String(
          format: "checkpoint step %d saved: %@ (%.1f s)%@", step, path, MonotonicClock.now() - start,
          removed.isEmpty ? "" : ", removed \(removed.count) older"))
    }
    lastSavedStep = step
  }

  private var lastSavedStep = -1
  /// The step of the checkpoint this launch resumed from (-1: none).
  private var resumedStep = -1

  /// Floats of optimizer state this rank keeps.
  public var optimizerStateCount: Int { optimizer.stateArenas.reduce(0) { $0 + $1.arena.count } }

  /// The per-rank peak FLOP/s measured at start-up on this run's GEMM shapes (the MFU denominator).
  public var calibratedPeak: Double { accounting.accountant.calibratedPeak }

  /// Prints (rank 0) how much optimizer state the fullest data-parallel rank keeps under ZeRO-1,
  /// against what every rank would keep unsharded (collective).
  private func announceStateSharding() throws {
    let largest = try grid.largestOverWorld(Int64(optimizerStateCount))
    guard grid.isCoordinator else { return }
    let unsharded = model.layout.tensors.reduce(0) { sum, tensor in
      sum + optimizer.stateShapes(ofParameterShape: tensor.localShape).reduce(0) { $0 + $1.shape.reduce(1, *) }
    }
    let share = String(format: "%.1f%%", 100 * Double(largest) / Double(max(unsharded, 1)))
    progress.event(
      "ZeRO-1: optimizer state sharded over \(grid.dpSize) data-parallel ranks: at most "
        + "\(Format.bytes(Double(largest) * 4)) per rank, \(share) of the \(Format.bytes(Double(unsharded) * 4)) unsharded"
    )
    if releasesUnownedGradients {
      progress.event("ZeRO-2: each rank gives back the memory of the gradients it does not own once they are reduced")
    }
  }

  /// Opens the run directory's metrics (rank 0) and trains until `max_steps`.
  public func run() throws {
    if grid.isCoordinator {
      try FileManager.default.createDirectory(atPath: config.run.dir, withIntermediateDirectories: true)
      metrics = try MetricsLog(path: metricsPath, resumeStep: step)
      // A fresh start is a new job: the old job's launches leave with its metrics.
      if resumedFrom == nil {
        SegmentLedger.reset(runDirectory: config.run.dir)
      } else {
        segments.continueJob(runDirectory: config.run.dir)
      }
      progress.event(
        "swiftlet: \(config.model.parameterCount.formatted()) parameters, world \(grid.worldSize) "
          + "(dp \(grid.dpSize) × tp \(grid.tpSize)"
          + (grid.ppSize > 1 ? " × pp \(grid.ppSize), \(config.gradAccum) micro-batches" : "")
          + "), batch \(config.train.batchSize)×\(config.seqLen), "
          + "steps \(step)→\(config.train.maxSteps)")
      progress.event(
        "blas: \(BLASKernelSelection.report.summary); "
          + "calibrated peak \(Format.rate(accounting.hardware.peakFlops)) per rank "
          + "(\(max(1, blasThreads)) thread\(blasThreads > 1 ? "s" : ""), this run's GEMM shapes)")
    }
    if statePartition != nil { try announceStateSharding() }
    let evalEvery = config.train.evalEvery
    let saveEvery = config.checkpoint.every
    accounting.carbon?.startClock()
    while step < config.train.maxSteps {
      let carbon = try accounting.carbonDecision()
      if let warning = carbon?.warning, grid.isCoordinator { progress.warning(warning) }
      if let carbon, carbon.pause {
        try pause(carbon)
        return
      }
      try report(try trainStep(), gramsPerKWh: carbon?.gramsPerKWh)
      if let evaluator, evalEvery > 0, step % evalEvery == 0, step < config.train.maxSteps {
        try evaluate(evaluator)
      }
      // All ranks agree whether to stop, so they checkpoint and leave at the same step.
      let localStop: Int64 = PreemptionSignal.requested ? 2 : (step == stopAtStep ? 1 : 0)
      let stop = try grid.largestOverWorld(localStop)
      if stop > 0 || (saveEvery > 0 && step % saveEvery == 0) {
        try saveCheckpoint()
      }
      if stop > 0 {
        progress.finish()
        if grid.isCoordinator {
          progress.event(
            stop == 2
              ? "stopping at step \(step) after \(PreemptionSignal.receivedName): checkpoint saved, resume with checkpoint.resume = auto"
              : "stopping at step \(step) as asked (--stop-at-step): checkpoint saved")
        }
        writeSegment(ended: stop == 2 ? "preempted" : "stopped")
        try writeReport(printSummary: false)
        return
      }
    }
    if let evaluator { try evaluate(evaluator) }
    if lastSavedStep != step { try saveCheckpoint() }
    progress.finish()
    writeSegment(ended: "finished")
    try writeReport(printSummary: true)
  }

  /// Set when `run()` paused for carbon: the instant (series time) to resume at. The command
  /// then exits with `pauseExitCode`.
  public private(set) var pausedUntil: Double?

  /// EX_TEMPFAIL from sysexits.h: "try again later", which is what a carbon pause means.
  public static let pauseExitCode: Int32 = 75

  /// The next step would start above `accounting.pause_above`: checkpoint (unless this step's
  /// checkpoint already exists), write the ledger line and report, print when to resume, and
  /// leave `run()` with `pausedUntil` set. Every rank calls it, on the broadcast decision.
  private func pause(_ decision: CarbonSchedule.Decision) throws {
    if step != lastSavedStep && step != resumedStep { try saveCheckpoint() }
    progress.finish()
    writeSegment(ended: "paused", resumeAt: decision.resumeAt)
    if step > 0 { try writeReport(printSummary: false) }  // the page needs at least one step
    let threshold = Format.number(config.accounting.pauseAbove)
    let why =
      "grid intensity \(Format.number(decision.gramsPerKWh)) gCO2e/kWh at \(UTCTimestamp.string(decision.time)) "
      + "is above accounting.pause_above = \(threshold)"
    guard let resumeAt = decision.resumeAt else {
      throw SwiftletError(
        "\(why), and \(config.accounting.intensitySeries) never drops to \(threshold) or below again; "
          + "checkpoint of step \(step) kept: raise accounting.pause_above or extend the series",
        raisedByAllRanks: true)
    }
    if grid.isCoordinator {
      let replay = accounting.carbon?.isReplay == true
      progress.event(
        "paused before step \(step + 1): \(why); resume at \(UTCTimestamp.string(resumeAt))"
          + (replay
            ? " (replayed clock: resume with --set accounting.clock_start=\(UTCTimestamp.string(resumeAt)))" : ""))
    }
    pausedUntil = resumeAt
    try grid.barrier()
  }

  /// Rank 0 appends this launch's line to `RUN_DIR/ledger.jsonl`. A line that cannot be written
  /// (disk full) is a warning: the checkpoint and metrics already hold the job's totals.
  private func writeSegment(ended: String, resumeAt: Double? = nil) {
    guard grid.isCoordinator else { return }
    let clock = accounting.carbon.map { (start: $0.clockStart, end: $0.now) }
    do {
      try SegmentLedger.append(
        segments.segment(
          ledger: accounting.accountant.ledger, step: step, ended: ended, resumeAt: resumeAt, clock: clock),
        runDirectory: config.run.dir)
    } catch {
      progress.warning("\(error); this launch has no line in \(SegmentLedger.fileName)")
    }
  }

  /// Rank 0 writes `RUN_DIR/report.json` (docs/accounting.md) and prints the summary.
  private func writeReport(printSummary: Bool) throws {
    guard grid.isCoordinator else { return }
    let restarts = SupervisorLog.restarts(runDirectory: config.run.dir)
    let path = config.run.dir + "/" + RunReport.fileName
    let segments = SegmentLedger.read(runDirectory: config.run.dir)
    var report = accounting.report()
    report.skippedNonfiniteSteps = skippedSteps
    report.blas = BLASKernelSelection.report
    report.peakCalibrated = accounting.accountant.calibratedPeak
    report.peakRaised = accounting.accountant.peakRaised
    report.restarts = restarts
    if accounting.usesSeries { report.intensitySeries = config.accounting.intensitySeries }
    if !segments.isEmpty { report.segments = segments }
    do {
      try RunFileJSON.document(report).write(to: URL(fileURLWithPath: path), options: .atomic)
    } catch {
      throw SwiftletError("cannot write \(path): \(error.localizedDescription)")
    }
    let page = try RunReportPage.write(runDirectory: config.run.dir)
    if printSummary {
      progress.event(report.summary)
      if skippedSteps > 0 { progress.event("  skipped    \(skippedSteps) steps with non-finite loss or gradients") }
      if restarts > 0 {
        progress.event("  restarts   \(restarts) after crashes (launch/elastic.sh; every launch in elastic.jsonl)")
      }
      if segments.count > 1 || accounting.usesSeries {
        let paused = segments.filter { $0.ended == "paused" }.count
        progress.event(
          "  launches   \(segments.count) (\(paused) paused for carbon); one line each in \(SegmentLedger.fileName)")
      }
      progress.event("report: \(path), \(page)")
    }
  }

  private func evaluate(_ evaluator: Evaluator) throws {
    let loss = try evaluator.meanLoss(model: model, grid: grid)
    if grid.isCoordinator {
      try metrics?.append(.eval(EvalMetrics(step: step, validationLoss: loss)))
      progress.event(String(format: "eval step %d: val_loss %.4f", step, loss))
    }
  }

  /// What one optimizer step measured.
  public struct StepStats {
    public var loss: Double
    public var gradNorm: Double
    public var learningRate: Double
    public var seconds: Double
    /// Seconds blocked waiting for the data-parallel gradient allreduce after the backward.
    public var exposedCommunicationSeconds: Double
    public var tokens: Int
  }

  /// Runs one optimizer step over the global batch (every rank must call it).
  @discardableResult
  public func trainStep() throws -> StepStats {
    let start = MonotonicClock.now()
    let t = config.seqLen
    let globalTokens = config.tokensPerStep
    var inputs: [Int32] = []
    var targets: [Int32] = []
    PhaseProfile.mark()
    if releasesUnownedGradients {
      // Pages nobody wrote since their release are still free: releasing keeps them so.
      model.gradients.release(0..<ownedRange.lowerBound)
      model.gradients.buffer.baseAddress!.advanced(by: ownedRange.lowerBound).update(
        repeating: 0, count: ownedRange.count)
      model.gradients.release(ownedRange.upperBound..<model.layout.count)
    } else {
      model.gradients.zero()
    }
    buckets.resetTiming()
    // The gradients accumulate over the micro-batches, so a fault injected now reaches the sums.
    injectFaultIfRequested()
    // With one stage the schedule is the plain loop: forward and backward of each micro-batch
    // in turn, the buckets starting with the last backward.
    let passes = PipelineSchedule(
      link: pipeline, microbatches: partition.gradAccum, batch: partition.localBatch, seqLen: t,
      channels: config.model.dModel)
    let firstOfStep = step * config.train.batchSize
    let (partition, sampler) = (self.partition, self.sampler)
    let lossSum = try passes.train(
      model: model, lossScale: 1 / Float(globalTokens), buckets: buckets,
      sample: { micro in
        let first = firstOfStep + partition.firstSequence(micro: micro)
        sampler.fill(inputs: &inputs, targets: &targets, firstSequence: first, count: partition.localBatch)
        PhaseProfile.lap(.other)
        return (inputs, targets)
      }, timing: &pipelineTiming)
    try buckets.finish()
    try model.finishBackward(buckets: buckets)
    try sumTiedEmbeddingGradient()
    let loss = try grid.meanLoss(localSum: lossSum, tokens: globalTokens)
    PhaseProfile.lap(.gradientCommunication)
    let norm = try globalGradientNorm(
      model: model, grid: grid, owned: statePartition == nil ? nil : ownedRange)
    PhaseProfile.lap(.gradientNorm)
    let learningRate = schedule.rate(atStep: step)
    // One flag for the whole world, so every rank takes the same branch even if a non-finite
    // value sits in a replicated tensor of one rank only.
    let finite = try grid.allRanksFinite(loss.isFinite && norm.isFinite)

    if finite {
      nonfiniteStreak = 0
      let clip = config.train.gradClip
      let factor = clip > 0 ? GradientClipping.factor(norm: norm, maxNorm: clip) : 1
      try optimizer.update(
        parameters: model.parameters.base + ownedRange.lowerBound,
        gradients: model.gradients.base + ownedRange.lowerBound, learningRate: learningRate,
        gradientScale: factor, count: ownedRange.count)
      if let statePartition {
        // Every owner updated its range only; each replica needs all the new parameters.
        try grid.gatherUpdatedParameters(model.parameters.base, partition: statePartition)
      }
      PhaseProfile.lap(.optimizer)
    } else {
      try handleNonFinite(loss: loss, norm: norm)
    }
    step += 1
    tokensSeen += globalTokens
    return StepStats(
      loss: loss, gradNorm: norm, learningRate: learningRate, seconds: MonotonicClock.now() - start,
      exposedCommunicationSeconds: buckets.exposedSeconds, tokens: globalTokens)
  }

  /// Records a step in the ledger, `metrics.jsonl` and the progress display; `gramsPerKWh` is
  /// the intensity series' value when the step started (nil: the fixed grid intensity).
  private func report(_ stats: StepStats, gramsPerKWh: Double? = nil) throws {
    let (live, smoothedStepSeconds) = try accounting.recordStep(seconds: stats.seconds, gramsPerKWh: gramsPerKWh)
    guard grid.isCoordinator else { return }
    let tokensPerSecond = Double(stats.tokens) / stats.seconds
    var line = TrainMetrics(step: step)
    line.loss = stats.loss
    line.learningRate = stats.learningRate
    line.gradientNorm = stats.gradNorm
    line.tokens = tokensSeen
    line.stepMilliseconds = stats.seconds * 1000
    line.tokensPerSecond = tokensPerSecond
    line.mfu = live.mfu
    line.flops = live.ledger.flops
    line.energyKWh = live.ledger.energyKWh
    line.co2eKg = live.ledger.co2eKg
    line.gridIntensity = gramsPerKWh
    try metrics?.append(.train(line))
    let remaining = Double(config.train.maxSteps - step) * smoothedStepSeconds
    progress.step(
      step, of: config.train.maxSteps,
      line: String(
        format:
          "step %d/%d | loss %.4f | lr %.2e | norm %.3f | %.0f tok/s | %.0f ms | mfu %.1f%% | %.3g kWh | %.3g kgCO2e | eta %@",
        step, config.train.maxSteps, stats.loss, stats.learningRate, stats.gradNorm, tokensPerSecond,
        stats.seconds * 1000,
        live.mfu * 100, live.ledger.energyKWh, live.ledger.co2eKg, formatDuration(remaining)))
  }

  /// Test hook (`debug.inject_nan_step`, `debug.inject_nan_rank`): puts a NaN into this rank's
  /// local token-embedding gradient before the last backward of that step, as a numerical
  /// fault on one rank would; the data-parallel allreduce then carries it to every replica.
  private func injectFaultIfRequested() {
    guard config.debug.injectNanStep == step + 1, config.debug.injectNanRank == grid.worldRank
    else { return }
    // A middle pipeline stage has no embedding: its first tensor stands in.
    let name = model.layout.names.tokenEmbedding + ".weight"
    let offset = model.layout.contains(name) ? model.layout[name].offset : model.layout.tensors[0].offset
    model.gradients.base[offset] = .nan
  }

  /// Pipeline only: the first and the last stage add each other's gradient of the tied token
  /// embedding (the lookup's and the LM head's part), so their two copies take the same update.
  /// Under ZeRO-1 only the data-parallel rank owning the tensor holds its summed gradient; the
  /// tensor starts both stages' arenas, so the same data-parallel rank owns it on both.
  private func sumTiedEmbeddingGradient() throws {
    guard pipeline.stages > 1, pipeline.isFirst || pipeline.isLast else { return }
    let wte = model.layout[model.layout.names.tokenEmbedding + ".weight"]
    if let statePartition, statePartition.owner(of: wte.offset) != grid.dpRank { return }
    try pipeline.sumTiedEmbeddingGradient(model.gradients.base + wte.offset, count: wte.count)
  }

  private func handleNonFinite(loss: Double, norm: Double) throws {
    let what = "non-finite loss or gradients at step \(step + 1) (loss \(loss), grad_norm \(norm) on rank 0)"
    if config.train.onNonfinite == .halt {
      throw SwiftletError(
        "\(what); stopping (train.on_nonfinite = halt). Lower train.lr or resume from an earlier checkpoint",
        raisedByAllRanks: true)
    }
    skippedSteps += 1
    nonfiniteStreak += 1
    if grid.isCoordinator {
      progress.warning("\(what): update skipped (\(skippedSteps) so far)")
    }
    if nonfiniteStreak >= config.train.maxNonfinite {
      throw SwiftletError("\(what): \(nonfiniteStreak) consecutive non-finite steps, stopping", raisedByAllRanks: true)
    }
  }
}
