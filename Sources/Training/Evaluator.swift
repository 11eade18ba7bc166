import Dataset
import GPT
import Parallel

/// Mean validation loss over `batches × batch_size` sequences taken from offset 0 of the
/// validation shards (docs/configuration.md), split over data-parallel ranks like training.
public struct Evaluator {
  public let sampler: BatchSampler
  public let partition: BatchPartition
  public let batches: Int

  /// Reads `stream` in file order, whatever the training data's order.
  public init(stream: TokenStream, seqLen: Int, partition: BatchPartition, batches: Int) {
    sampler = BatchSampler(stream: stream, seqLen: seqLen)
    self.partition = partition
    self.batches = batches
  }

  /// The mean loss per token; the micro-batches flow through the pipeline's stages (one without
  /// pipeline parallelism) and the last stage's loss is shared with all of them.
  public func meanLoss(model: GPTModel, grid: ProcessGrid) throws -> Double {
    var inputs: [Int32] = []
    var targets: [Int32] = []
    var sum: Double = 0
    for batch in 0..<batches {
      let sample = { (micro: Int) -> (inputs: [Int32], targets: [Int32]) in
        let first = batch * partition.globalBatch + partition.firstSequence(micro: micro)
        sampler.fill(inputs: &inputs, targets: &targets, firstSequence: first, count: partition.localBatch)
        return (inputs, targets)
      }
      let schedule = PipelineSchedule(
        link: grid.pipelineLink, microbatches: partition.gradAccum, batch: partition.localBatch,
        seqLen: sampler.seqLen, channels: model.config.dModel)
      sum += try schedule.evaluate(model: model, sample: sample)
    }
    return try grid.meanLoss(localSum: sum, tokens: batches * partition.globalBatch * sampler.seqLen)
  }
}
