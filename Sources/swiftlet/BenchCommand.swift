import Accounting
import ArgumentParser
import Dataset
import Foundation
import GPT
import Kernels
import Parallel
import RunFiles
import SwiftletCore
import Training

struct Bench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench",
    abstract: "Time training steps of a model preset on random tokens and report tokens/s and MFU.",
    discussion: """
      Runs the real training step (forward, backward, gradient allreduce, AdamW) on random tokens.
      Under mpirun the per-rank batch stays --batch, so the global batch grows with the
      data-parallel size (weak scaling). MFU is model FLOPs (PaLM Appendix B) per second over
      world size × the sgemm peak: the best of several trials of this run's GEMM shapes with the
      same kernel and thread count, raised to what the steps reached if they beat it (never >100%).
      At dp > 1 the optimizer state is sharded over the data-parallel ranks (ZeRO-1, the training
      default); the exposed communication then covers the reduces to the owners (the parameter
      all-gather is in the step). --zero 0 measures the plain gradient allreduce instead.
      With --pp P the layers run as P pipeline stages under the 1F1B schedule over --microbatches
      micro-batches of the per-rank batch; the bench then reports the bubble it saw (the share of
      each stage's schedule time outside forward/backward compute, averaged over the stages)
      against the ideal (P − 1) / (M + P − 1) and against the 1F1B prediction from the stages'
      measured compute times (stages of unequal cost idle more).
      Use a release build: swift build -c release.
      """)

  @Option(help: "Model preset (e.g. gpt2-124M).") var model = "gpt2-124M"
  @Option(help: "Sequences per data-parallel rank per step.") var batch = 4
  @Option(help: "Sequence length T.") var seq = 64
  @Option(help: "Timed steps.") var steps = 5
  @Option(help: "Untimed warm-up steps.") var warmup = 1
  @Option(help: "OpenBLAS threads per rank (0 = cores / ranks).") var threads = 1
  @Option(help: "Tensor-parallel size.") var tp = 1
  @Option(
    help:
      "ZeRO stage: 1 (default, as parallel.zero) shards the optimizer state over data-parallel ranks when dp > 1; 2 also releases the gradients a rank does not own; 0 keeps it whole and allreduces gradients."
  )
  var zero = 1
  @Option(help: "Pipeline-parallel stages.") var pp = 1
  @Option(help: "Micro-batches per step of the per-rank batch (0 = 1, or 4·pp with --pp).") var microbatches = 0
  @Option(help: "Layers override (for quick runs; 0 = preset).") var layers = 0
  @Option(help: "Vocabulary override (0 = preset); a small vocabulary balances the pipeline's last stage.") var vocab =
    0
  @Flag(help: "Activation recomputation (train.recompute): keep only each block's input.") var recompute = false
  @Flag(
    help:
      "Also time every phase of the step (LayerNorm, QKV, attention, MLP, LM head, cross-entropy, communication, optimizer …) and measure the memory bandwidth."
  )
  var profile = false
  @Flag(help: "Print one JSON object instead of text.") var json = false

  func validate() throws {
    guard batch > 0, seq > 0, steps > 0, warmup >= 0, threads >= 0, tp > 0 else {
      throw ValidationError("--batch, --seq, --steps and --tp must be positive; --warmup and --threads not negative")
    }
    guard (0...2).contains(zero) else { throw ValidationError("--zero must be 0, 1 or 2, got \(zero)") }
    guard pp > 0, microbatches >= 0, vocab >= 0 else {
      throw ValidationError("--pp must be positive; --microbatches and --vocab not negative")
    }
    guard batch % effectiveMicrobatches == 0 else {
      throw ValidationError("--batch (\(batch)) must be divisible by the \(effectiveMicrobatches) micro-batches")
    }
  }

  private var effectiveMicrobatches: Int {
    microbatches > 0 ? microbatches : (pp > 1 ? 4 * pp : 1)
  }

  func run() throws {
    let world = try ParallelRuntime.start()
    let grid = try ProcessGrid(world: world, tensorParallelSize: tp, pipelineStages: pp)
    let threadCount = Coordinator.configureThreads(requested: threads, ranksOnNode: grid.ranksOnNode)
    var shape = try GPTConfig.preset(named: model)
    if layers > 0 { shape.nLayer = layers }
    if vocab > 0 { shape.vocabSize = vocab }

    // Random tokens, enough for every step without wrapping.
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-bench-\(getpid())").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let shardPath = directory + "/train_000000.bin"
    let globalBatch = batch * grid.dpSize
    let tokenCount = (steps + warmup + 1) * globalBatch * seq + 1
    let rng = CounterRNG(seed: 1, stream: 7)
    try TokenShardWriter.write(
      (0..<tokenCount).map { Int(rng.bits(UInt64($0)) % UInt64(shape.vocabSize)) }, to: shardPath)

    var settings = ConfigDocument()
    settings.modelKeys.nLayer = shape.nLayer
    settings.modelKeys.nHead = shape.nHead
    settings.modelKeys.dModel = shape.dModel
    settings.modelKeys.nCtx = max(shape.nCtx, seq)
    settings.modelKeys.vocabSize = shape.vocabSize
    settings.data.train = shardPath
    settings.train.batchSize = globalBatch
    settings.train.seqLen = seq
    settings.train.maxSteps = steps + warmup
    settings.train.lr = 1e-4
    settings.train.minLR = 1e-4
    settings.train.recompute = recompute
    settings.parallel.tp = tp
    settings.parallel.pp = pp
    settings.parallel.microbatches = effectiveMicrobatches
    settings.parallel.zero = ZeroStage(rawValue: zero)!  // checked in validate()
    settings.run.dir = directory
    let config = try RunConfig(settings: settings)
    // The trainer's accounting measured the peak on this run's GEMM shapes at start-up.
    let trainer = try Trainer(config: config, grid: grid)
    let calibrated = trainer.calibratedPeak
    let blas = BLASKernelSelection.report
    if world.rank == 0 && !json {
      print(
        "blas: \(blas.summary); calibrated peak \(String(format: "%.1f", calibrated / 1e9)) GFLOP/s per rank (\(threadCount) thread(s), this run's GEMM shapes)"
      )
    }
    for _ in 0..<warmup { try trainer.trainStep() }
    var times: [Double] = []
    var exposed: [Double] = []
    if profile { PhaseProfile.start() }
    trainer.pipelineTiming = PipelineTiming()
    for _ in 0..<steps {
      let stats = try trainer.trainStep()
      // The slowest rank sets the pace.
      times.append(try grid.largestOverWorld(stats.seconds))
      exposed.append(try grid.largestOverWorld(stats.exposedCommunicationSeconds))
    }
    PhaseProfile.stop()
    let phases = profile ? PhaseProfile.totals : [:]
    let bandwidth = profile && grid.isNodeLeader ? MemoryBandwidth.triad() : 0
    // The same gradient allreduce done blocking, to tell how much of it the overlap hides (not
    // under ZeRO-1, whose buckets reduce to the owners instead).
    var blocking: [Double] = []
    if grid.dpSize > 1 && zero == 0 {
      for _ in 0..<3 {
        try grid.barrier()
        let start = MonotonicClock.now()
        try grid.sumOverDataParallel(trainer.model.gradients.base, count: trainer.model.layout.count)
        blocking.append(try grid.largestOverWorld(MonotonicClock.now() - start))
      }
    }
    // Upper medians (the middle value of the odd step counts bench runs by default).
    let median = times.sorted()[times.count / 2]
    let exposedMedian = exposed.sorted()[exposed.count / 2]
    let tokensPerSecond = Double(globalBatch * seq) / median
    let perToken = 6 * Double(shape.parameterCount) + 12 * Double(shape.nLayer * shape.dModel * seq)
    // A step that reached more than the calibrated peak proves the calibration ran in a busy
    // moment: the peak is raised to what the step reached, so MFU never exceeds 100%.
    let reached = perToken * tokensPerSecond / Double(world.size)
    let peak = max(calibrated, reached)
    let mfu = reached / peak
    let allPeak = try grid.largestOverWorld(Double(peakResidentBytes()))
    let smallestPeak = try grid.smallestOverWorld(Double(peakResidentBytes()))
    let stateBytes = try grid.largestOverWorld(Double(trainer.optimizerStateCount * 4))
    // The bubble: each stage's share of schedule time outside compute, averaged over stages.
    let timing = trainer.pipelineTiming
    let idleShare = timing.wallSeconds > 0 ? 1 - timing.busySeconds / timing.wallSeconds : 0
    let stageBusy = try grid.sumOverWorld(grid.dpRank == 0 && grid.tpRank == 0 ? timing.busySeconds : 0)
    let stageBusyMax = try grid.largestOverWorld(timing.busySeconds)
    let meanBubble = try grid.sumOverWorld(idleShare) / Double(world.size)
    guard world.rank == 0 else { return }

    var result: [String: Any] = [
      "framework": "swiftlet", "model": model, "layers": shape.nLayer, "batch_per_rank": batch,
      "global_batch": globalBatch, "seq": seq, "threads": threadCount, "world": world.size, "tp": tp,
      "dp": grid.dpSize, "zero": zero, "step_ms_median": median * 1000, "step_ms_min": times.min()! * 1000,
      "tokens_per_s": tokensPerSecond, "mfu": mfu, "sgemm_peak_gflops": peak / 1e9,
      "sgemm_peak_calibrated_gflops": calibrated / 1e9, "peak_raised": peak > calibrated,
      "blas": blas.jsonObject,
      "exposed_allreduce_ms_median": exposedMedian * 1000,
      "peak_rss_bytes_max_rank": allPeak, "peak_rss_bytes_min_rank": smallestPeak,
      "optimizer_state_bytes_max_rank": stateBytes, "recompute": recompute,
      "activation_bytes": trainer.model.activationBytes,
    ]
    if pp > 1 {
      let m = Double(effectiveMicrobatches)
      let p = Double(pp)
      // 1F1B with per-micro-batch stage times t_s: wall = (M − 1)·max t + Σ t; the idle share of
      // the stages is then 1 − M·Σ t / (P · wall), which is (P − 1)/(M + P − 1) when all t_s are equal.
      let meanTime = stageBusy / p / m / Double(steps)
      let maxTime = stageBusyMax / m / Double(steps)
      let predictedWall = (m - 1) * maxTime + p * meanTime
      result["pp"] = pp
      result["microbatches"] = effectiveMicrobatches
      result["pipeline_bubble_measured"] = meanBubble
      result["pipeline_bubble_ideal"] = (p - 1) / (m + p - 1)
      result["pipeline_bubble_predicted_from_stage_times"] = 1 - m * p * meanTime / (p * predictedWall)
      result["pipeline_stage_imbalance"] = maxTime / meanTime
    }
    if !blocking.isEmpty {
      let full = blocking.sorted()[1]
      let hidden = max(0, 1 - exposedMedian / full)
      result["blocking_allreduce_ms"] = full * 1000
      result["allreduce_hidden_share"] = hidden
    }
    if profile {
      let stepSeconds = phases.values.reduce(0) { $0 + $1.seconds } / Double(steps)
      let owned = Double(trainer.ownedRange.count)
      let optimizerBytes = 4 * (3 * owned + 2 * Double(trainer.optimizerStateCount))
      result["memory_bandwidth_gbs"] = bandwidth / 1e9
      result["profile"] = PhaseProfile.Phase.allCases.compactMap { phase -> [String: Any]? in
        guard let totals = phases[phase] else { return nil }
        let seconds = totals.seconds / Double(steps)
        var row: [String: Any] = [
          "phase": phase.rawValue, "ms_per_step": seconds * 1000, "share": seconds / stepSeconds,
        ]
        if totals.gemmFlops > 0 { row["gemm_gflops"] = totals.gemmFlops / Double(steps) / seconds / 1e9 }
        if phase == .optimizer {
          row["gb_per_s"] = optimizerBytes / seconds / 1e9
          row["seconds_at_memory_bandwidth"] = bandwidth > 0 ? optimizerBytes / bandwidth : 0
        }
        return row
      }
    }
    if json {
      let data = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
      print(String(decoding: data, as: UTF8.self))
    } else {
      print(
        String(
          format: "swiftlet bench %@ (%d layers) B=%d×%d T=%d, world %d (dp %d × tp %d%@%@), %d thread(s)/rank%@",
          model, shape.nLayer, batch, grid.dpSize, seq, world.size, grid.dpSize, tp,
          pp > 1 ? " × pp \(pp), \(effectiveMicrobatches) micro-batches" : "",
          zero >= 1 && grid.dpSize > 1 ? ", ZeRO-\(zero)" : "", threadCount, recompute ? ", recompute" : ""))
      print(
        String(
          format:
            "  step %.1f ms (median of %d, min %.1f) | %.0f tokens/s | MFU %.1f%% of measured sgemm peak %.1f GFLOP/s per rank",
          median * 1000, steps, times.min()! * 1000, tokensPerSecond, mfu * 100, peak / 1e9))
      print(
        String(
          format:
            "  exposed allreduce %.1f ms/step | peak RSS %.2f GiB (largest rank), %.2f GiB (smallest) | optimizer state %.0f MiB (largest rank) | activations %.2f GiB",
          exposedMedian * 1000, allPeak / 1_073_741_824,
          smallestPeak / 1_073_741_824, stateBytes / 1_048_576,
          Double(trainer.model.activationBytes) / 1_073_741_824))
      if peak > calibrated {
        print(
          String(
            format:
              "  note: the steps reached %.1f GFLOP/s per rank, above the calibrated %.1f: the calibration ran in a busy moment; MFU is against the higher figure",
            peak / 1e9, calibrated / 1e9))
      }
      if pp > 1 {
        print(
          String(
            format:
              "  pipeline bubble %.1f%% measured | %.1f%% ideal (P−1)/(M+P−1) | %.1f%% predicted from the stages' compute times (slowest stage %.2f× the mean)",
            100 * (result["pipeline_bubble_measured"] as! Double), 100 * (result["pipeline_bubble_ideal"] as! Double),
            100 * (result["pipeline_bubble_predicted_from_stage_times"] as! Double),
            result["pipeline_stage_imbalance"] as! Double))
      }
      if let hidden = result["allreduce_hidden_share"] as? Double {
        print(
          String(
            format: "  gradient allreduce: %.0f ms when blocking, %.0f%% hidden under the backward pass",
            result["blocking_allreduce_ms"] as! Double, hidden * 100))
      }
      if let rows = result["profile"] as? [[String: Any]] {
        print(
          String(
            format: "  profile of rank 0, per step (memory bandwidth %.1f GB/s, one thread, triad):", bandwidth / 1e9))
        print("    phase                                          ms/step   share   GEMM GFLOP/s   GB/s")
        for row in rows {
          let name = (row["phase"] as! String).padding(toLength: 44, withPad: " ", startingAt: 0)
          let gflops =
            (row["gemm_gflops"] as? Double).map { String(format: "%10.1f", $0) } ?? String(repeating: " ", count: 10)
          let gbs = (row["gb_per_s"] as? Double).map { String(format: "%7.1f", $0) } ?? ""
          print(
            String(
              format: "    %@ %9.1f  %5.1f%%  %@    %@", name, row["ms_per_step"] as! Double,
              100 * (row["share"] as! Double), gflops, gbs))
        }
      }
    }
  }
}

/// Peak resident set size of this process in bytes.
func peakResidentBytes() -> Int {
  var usage = rusage()
  getrusage(RUSAGE_SELF.rawValue, &usage)
  return usage.ru_maxrss * 1024
}
