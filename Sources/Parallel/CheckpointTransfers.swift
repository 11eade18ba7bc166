import Kernels
import MPIBindings

/// The point-to-point and gather steps that bring a sharded tensor to world rank 0 for writing
/// (docs/checkpoint-format.md): a ZeRO owner hands its optimizer state to data-parallel rank 0,
/// the tensor-parallel shards meet on tensor-parallel rank 0, and another pipeline stage's first
/// rank sends the full tensor to world rank 0.
extension ProcessGrid {
  /// ZeRO: sends a state tensor piece this rank owns to data-parallel rank 0 of its position.
  public func sendToDataParallelRoot(_ buffer: UnsafePointer<Float>, count: Int) throws {
    try dataParallel.send(buffer, count: count, to: 0)
  }

  /// Data-parallel rank 0 receives a state tensor piece from data-parallel rank `owner`.
  public func receive(fromDataParallelRank owner: Int, into buffer: FloatPointer, count: Int) throws {
    try dataParallel.receive(buffer, count: count, from: owner)
  }

  /// Gathers `count` floats from every tensor-parallel rank, in tp order, into `into` on
  /// tensor-parallel rank 0 (nil elsewhere).
  public func gatherOverTensorParallel(_ local: UnsafePointer<Float>, count: Int, into: FloatPointer?) throws {
    try tensorParallel.gather(local, count: count, into: into, root: 0)
  }

  /// A stage's first rank sends a full tensor to world rank 0.
  public func sendToCoordinator(_ buffer: UnsafePointer<Float>, count: Int) throws {
    try world.send(buffer, count: count, to: 0)
  }

  /// World rank 0 receives a full tensor from the first rank of pipeline stage `stage`.
  public func receiveFullTensor(fromStage stage: Int, into buffer: FloatPointer, count: Int) throws {
    try world.receive(buffer, count: count, from: worldRank(pp: stage, dp: 0, tp: 0))
  }
}
