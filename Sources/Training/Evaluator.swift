import Dataset
import GPT
import MPIBindings
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

  public func meanLoss(model: GPTModel, dataParallel: Communicator) throws -> Double {
    var inputs: [Int32] = []
    var targets: [Int32] = []
    var sum: Double = 0
    for batch in 0..<batches {
      for micro in 0..<partition.gradAccum {
        let first = batch * partition.globalBatch + partition.firstSequence(micro: micro)
        sampler.fill(inputs: &inputs, targets: &targets, firstSequence: first, count: partition.localBatch)
        sum += try model.forward(
          inputs: inputs, targets: targets, batch: partition.localBatch, seqLen: sampler.seqLen)
      }
    }
    sum = try dataParallel.allreduce(sum)
    return sum / Double(batches * partition.globalBatch * sampler.seqLen)
  }
}
