import Kernels
import MPIBindings

/// The collectives of a training step that are not tied to one layer, named for what they
/// decide (docs/parallelism.md, "Communication per step"). Every rank of the world calls each of
/// them at the same point of the step.
extension ProcessGrid {
  /// The mean loss per token on every rank: the local loss sums over the data-parallel
  /// replicas, divided by `tokens`, from the last pipeline stage (which computed it).
  public func meanLoss(localSum: Double, tokens: Int) throws -> Double {
    var loss = try dataParallel.allreduce(localSum) / Double(tokens)
    try pipeline.broadcast(&loss, count: 1, root: ppSize - 1)
    return loss
  }

  /// Whether every rank saw only finite values: one world-wide flag, so all ranks take the same
  /// branch even if a non-finite value sits in one rank's replicated tensor.
  public func allRanksFinite(_ finite: Bool) throws -> Bool {
    try world.allreduce(Int64(finite ? 0 : 1), op: .max) == 0
  }

  /// The largest of every rank's `value` (stop requests, state sizes).
  public func largestOverWorld(_ value: Int64) throws -> Int64 {
    try world.allreduce(value, op: .max)
  }

  /// The largest of every rank's `value` (the slowest rank's step time, the fullest memory).
  public func largestOverWorld(_ value: Double) throws -> Double {
    try world.allreduce(value, op: .max)
  }

  /// The smallest of every rank's `value`.
  public func smallestOverWorld(_ value: Double) throws -> Double {
    try world.allreduce(value, op: .min)
  }

  /// The sum of every rank's `value` (energy since the last step).
  public func sumOverWorld(_ value: Double) throws -> Double {
    try world.allreduce(value)
  }

  /// The largest `value` of the ranks on this node (a measurement one rank per node made).
  public func largestOnNode(_ value: Double) throws -> Double {
    try node.allreduce(value, op: .max)
  }

  /// Rank 0's `text` on every rank.
  public func coordinatorText(_ text: String) throws -> String {
    try world.broadcast(string: text)
  }

  /// Rank 0's `count` doubles at `values` on every rank.
  public func coordinatorValues(_ values: UnsafeMutablePointer<Double>, count: Int) throws {
    try world.broadcast(values, count: count, root: 0)
  }

  /// Every rank's `width` bytes, in rank order, on rank 0 (`into` holds `width · worldSize`
  /// there and may be nil elsewhere).
  public func gatherOnCoordinator(_ bytes: UnsafePointer<UInt8>, width: Int, into: UnsafeMutablePointer<UInt8>?) throws
  {
    try world.gather(bytes, count: width, into: into, root: 0)
  }

  /// Waits until every rank has arrived.
  public func barrier() throws { try world.barrier() }

  /// The sum over the data-parallel replicas of one value (evaluation losses).
  public func sumOverDataParallel(_ value: Double) throws -> Double {
    try dataParallel.allreduce(value)
  }

  /// Sums `count` floats at `buffer` over the data-parallel replicas in one blocking allreduce
  /// (the benchmark's reference for what the overlapped buckets hide).
  public func sumOverDataParallel(_ buffer: FloatPointer, count: Int) throws {
    try dataParallel.allreduce(buffer, count: count)
  }

  /// Sums `count` floats at `buffer` over the tensor-parallel shards of one layer (Adafactor's
  /// row and column statistics of a split matrix).
  public func sumOverTensorParallel(_ buffer: UnsafeMutablePointer<Double>, count: Int) throws {
    try tensorParallel.allreduce(buffer, count: count)
  }

  /// The global squared gradient norm's two parts summed over every rank that holds a disjoint
  /// piece: the data-parallel owners (ZeRO, `overOwners`), the tensor-parallel shards (`sharded`
  /// only: replicated tensors are the same on every tp rank) and the pipeline stages.
  public func sumSquares(sharded: Double, replicated: Double, overOwners: Bool) throws -> (
    sharded: Double, replicated: Double
  ) {
    var (sharded, replicated) = (sharded, replicated)
    if overOwners && dpSize > 1 {
      let sums = try dataParallel.allreduce([sharded, replicated])
      (sharded, replicated) = (sums[0], sums[1])
    }
    if tpSize > 1 { sharded = try tensorParallel.allreduce(sharded) }
    if ppSize > 1 {
      let sums = try pipeline.allreduce([sharded, replicated])
      (sharded, replicated) = (sums[0], sums[1])
    }
    return (sharded, replicated)
  }

  /// ZeRO: every data-parallel rank updated only its range of `parameters`; afterwards every
  /// replica holds all of them (in-place all-gather).
  public func gatherUpdatedParameters(_ parameters: FloatPointer, partition: ArenaPartition) throws {
    try dataParallel.allgatherInPlace(
      parameters, counts: partition.ranges.map(\.count), displacements: partition.ranges.map(\.lowerBound))
  }

  /// This rank's tensor-parallel group as the model's layers see it.
  public var tensorParallelRegion: TensorParallelRegion { TensorParallelRegion(group: tensorParallel) }

  /// The link to this rank's neighbouring pipeline stages (with one stage, a link that is both
  /// first and last: it never sends).
  public var pipelineLink: PipelineLink { PipelineLink(group: pipeline) }

  /// Gradient buckets over this rank's data-parallel group.
  public func gradientBuckets(
    gradients: FloatArena, owners: ArenaPartition?, releasesUnowned: Bool = false
  ) -> GradientBuckets {
    GradientBuckets(group: dataParallel, gradients: gradients, owners: owners, releasesUnowned: releasesUnowned)
  }
}
