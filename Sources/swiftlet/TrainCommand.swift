import ArgumentParser
import Foundation
import Parallel
import SwiftletCore
import Training

#if canImport(Glibc)
  import Glibc
#endif

struct Train: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train",
    abstract: "Train a GPT model; launch with `mpirun -np N swiftlet train …` for several ranks.",
    discussion: """
      Rank 0 reads the TOML config, applies --set overrides and broadcasts the result; the world is
      split into pipeline stages × data-parallel × tensor-parallel groups
      (rank = pp_rank * dp * tp + dp_rank * tp + tp_rank). Progress,
      metrics.jsonl, checkpoints and report.json go to the run directory. See docs/configuration.md.
      """)

  @Option(name: .long, help: "TOML configuration file.")
  var config: String?

  @Option(name: .customLong("set"), help: "Override a key: section.key=value (repeatable).")
  var overrides: [String] = []

  @Option(name: .long, help: "Tensor-parallel size (same as --set parallel.tp=T).")
  var tp: Int?

  @Option(name: .long, help: "Pipeline-parallel stages (same as --set parallel.pp=P).")
  var pp: Int?

  @Option(name: .long, help: "Micro-batches per data-parallel rank and step (same as --set parallel.microbatches=M).")
  var microbatches: Int?

  @Option(name: .customLong("run-dir"), help: "Run directory (overrides run.dir).")
  var runDir: String?

  @Option(
    name: .customLong("stop-at-step"),
    help: "Checkpoint and exit 0 after this step, as a preempted job would (resume with checkpoint.resume = auto).")
  var stopAtStep: Int?

  func run() throws {
    // Installed first so that a preemption notice during start-up is honoured too.
    PreemptionSignal.install()
    let world = try ParallelRuntime.start()
    var overrides = self.overrides
    if let tp { overrides.append("parallel.tp=\(tp)") }
    if let pp { overrides.append("parallel.pp=\(pp)") }
    if let microbatches { overrides.append("parallel.microbatches=\(microbatches)") }
    let config: RunConfig
    let grid: ProcessGrid
    do {
      config = try Coordinator.distributeConfig(world: world) {
        if self.config == nil && overrides.isEmpty {
          throw SwiftletError("no configuration: pass --config FILE (and/or --set section.key=value)")
        }
        let config = try RunConfig.load(path: self.config, overrides: overrides, runDirectory: runDir)
        // The layout is checked here, once, so that an impossible one is one error before any work.
        try ProcessGrid.validate(
          worldSize: world.size, tensorParallelSize: config.parallel.tp, pipelineStages: config.parallel.pp)
        try config.validateLayout(dataParallel: world.size / (config.parallel.tp * config.parallel.pp))
        return config
      }
      grid = try ProcessGrid(
        world: world, tensorParallelSize: config.parallel.tp, pipelineStages: config.parallel.pp)
    } catch {
      // The same error on every rank: print it once.
      throw RankError(underlying: error, printed: world.rank == 0)
    }
    ParallelRuntime.startWatchdog(timeoutSeconds: config.parallel.collectiveTimeout, rank: world.rank)
    _ = Coordinator.configureThreads(requested: config.train.threads, ranksOnNode: grid.ranksOnNode)
    do {
      let trainer = try Trainer(config: config, grid: grid)
      trainer.stopAtStep = stopAtStep
      try trainer.run()
      if trainer.pausedUntil != nil {
        // Every rank passed the pause's barrier: finish MPI, then tell the launcher to retry later.
        ParallelRuntime.finish()
        Glibc.exit(Trainer.pauseExitCode)
      }
    } catch let error as SwiftletError where error.raisedByAllRanks {
      throw RankError(underlying: error, printed: world.rank == 0)  // an orderly stop, one message
    } catch {
      if world.size > 1 {
        // Only this rank may have failed: take the whole job down instead of leaving the others
        // blocked in a collective.
        ParallelRuntime.abort(code: 1, message: "rank \(world.rank): \(error)")
      }
      throw error
    }
  }
}

/// An error that every rank raised identically; only rank 0 prints it.
struct RankError: Error, CustomStringConvertible {
  let underlying: Error
  let printed: Bool
  var description: String { "\(underlying)" }
}
