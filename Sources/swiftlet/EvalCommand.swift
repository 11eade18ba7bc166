import ArgumentParser
import Dataset
import Foundation
import Parallel
import SwiftletCore
import Training

struct Eval: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "eval",
    abstract: "Mean cross-entropy and perplexity of a checkpoint on token shards.",
    discussion: """
      Batches are taken as in training with data.shuffle = false: batch k holds the --batch-size
      sequences of --seq-len + 1 tokens starting at token k·B·T of the concatenated shards.
      Runs under mpirun too (sequences split over data-parallel ranks, --tp for tensor parallelism).
      """)

  @Option(help: "Checkpoint file (RUN_DIR/checkpoints/step_XXXXXXXX.h5), Hugging Face model folder or llm.c file.")
  var checkpoint: String
  @Option(help: "Token shards: a path or glob (several separated by commas).") var data: String
  @Option(help: "Sequences per batch.") var batchSize = 8
  @Option(help: "Tokens per sequence (default: the checkpoint's train.seq_len).") var seqLen: Int?
  @Option(help: "Number of batches.") var batches = 10
  @Option(help: "Tensor-parallel size.") var tp = 1
  @Flag(help: "Print {\"val_loss\":…,\"perplexity\":…}.") var json = false

  func validate() throws {
    guard batchSize > 0, batches > 0, tp > 0, (seqLen ?? 1) > 0 else {
      throw ValidationError("--batch-size, --batches, --seq-len and --tp must be positive")
    }
  }

  func run() throws {
    let world = try ParallelRuntime.start()
    let grid = try ProcessGrid(world: world, tensorParallelSize: tp)
    _ = Coordinator.configureThreads(requested: 0, ranksOnNode: grid.ranksOnNode)
    guard FileManager.default.fileExists(atPath: checkpoint) else {
      throw SwiftletError("no such checkpoint: \(checkpoint)")
    }
    let (model, config, _) = try CheckpointModelLoader.load(path: checkpoint, grid: grid)
    let t = seqLen ?? config.seqLen
    guard t <= model.config.nCtx else {
      throw SwiftletError("--seq-len \(t) exceeds the model's n_ctx \(model.config.nCtx)")
    }
    guard batchSize % grid.dpSize == 0 else {
      throw SwiftletError("--batch-size \(batchSize) must be divisible by the data-parallel size \(grid.dpSize)")
    }
    let evaluator = Evaluator(
      stream: try TokenStream(pattern: data), seqLen: t,
      partition: BatchPartition(globalBatch: batchSize, gradAccum: 1, dpRank: grid.dpRank, dpSize: grid.dpSize),
      batches: batches)
    let loss = try evaluator.meanLoss(model: model, grid: grid)
    guard world.rank == 0 else { return }
    if json {
      print("{\"val_loss\":\(loss),\"perplexity\":\(exp(loss))}")
    } else {
      print(
        String(
          format: "val_loss %.4f | perplexity %.2f | %d batches × %d × %d tokens", loss, exp(loss), batches, batchSize,
          t))
    }
  }
}
