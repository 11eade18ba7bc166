import Dataset
import GPT
import Parallel

/// Mean validation loss over `batches × batch_size` sequences taken from offset 0 of the
/// validation shards (docs/configuration.md), split over data-parallel ranks like training.
public struct Evaluator {
  public let sampler: BatchSampler
  public let partition: BatchPartition
  public let batches: Int

  public init(sampler: BatchSampler, partition: BatchPartition, batches: Int) {
    self.sampler = sampler
    self.partition = partition
    self.batches = batches
  }

  /// The mean loss per token; with a `pipeline` the micro-batches flow through its stages and
  /// the last stage's loss is shared with all of them.
  public func meanLoss(model: GPTModel, grid: ProcessGrid) throws -> Double {
    let pipeline = grid.pipelineLink
    var inputs: [Int32] = []
    var targets: [Int32] = []
    var sum: Double = 0
    for batch in 0..<batches {
      let sample = { (micro: Int) -> (inputs: [Int32], targets: [Int32]) in
        let first = batch * partition.globalBatch + partition.firstSequence(micro: micro)
        sampler.fill(inputs: &inputs, targets: &targets, firstSequence: first, count: partition.localBatch)
        return (inputs, targets)
      }
      if let pipeline {
        let schedule = PipelineSchedule(
          link: pipeline, microbatches: partition.gradAccum, batch: partition.localBatch, seqLen: sampler.seqLen,
          channels: model.config.dModel)
        sum += try schedule.evaluate(model: model, sample: sample)
      } else {
        for micro in 0..<partition.gradAccum {
          let (inputs, targets) = sample(micro)
          sum += try model.forward(
            inputs: inputs, targets: targets, batch: partition.localBatch, seqLen: sampler.seqLen)
        }
      }
    }
    return try grid.meanLoss(localSum: sum, tokens: batches * partition.globalBatch * sampler.seqLen)
  }
}
