import Dataset
import Parallel

/// Which sequences of a step this rank processes, and in how many micro-batches.
///
/// The global batch of `B` sequences is cut into `grad_accum` micro-batches of `B / ga`; each
/// micro-batch is split evenly over the data-parallel ranks (tensor-parallel ranks of one replica
/// read the same sequences). The union over ranks is always the same `B` sequences, so the
/// result does not depend on the layout.
public struct BatchPartition: Sendable {
  public let globalBatch: Int
  public let gradAccum: Int
  public let dpRank: Int
  public let dpSize: Int

  public init(globalBatch: Int, gradAccum: Int, dpRank: Int, dpSize: Int) {
    self.globalBatch = globalBatch
    self.gradAccum = gradAccum
    self.dpRank = dpRank
    self.dpSize = dpSize
  }

  public var microBatchGlobal: Int { globalBatch / gradAccum }
  /// Sequences this rank processes per micro-step.
  public var localBatch: Int { microBatchGlobal / dpSize }

  /// Global index (within the step) of this rank's first sequence in micro-step `micro`.
  public func firstSequence(micro: Int) -> Int {
    micro * microBatchGlobal + dpRank * localBatch
  }
}
