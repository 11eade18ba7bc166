import MPIBindings
import SwiftletCore

/// The data-parallel × tensor-parallel arrangement of the world's ranks (docs/parallelism.md).
///
/// Tensor-parallel groups are contiguous: `rank = dpRank · tp + tpRank`, so the ranks that
/// exchange activations every layer sit next to each other (usually on one node), and the
/// once-per-step gradient allreduce crosses nodes.
public final class ProcessGrid {
  public let world: Communicator
  /// Ranks holding the same model shard (they average gradients).
  public let dataParallel: Communicator
  /// Ranks that together hold one replica of the model.
  public let tensorParallel: Communicator
  /// Ranks on this node (for per-node measurements such as RAPL energy).
  public let node: Communicator

  public var worldRank: Int { world.rank }
  public var worldSize: Int { world.size }
  public var tpRank: Int { tensorParallel.rank }
  public var tpSize: Int { tensorParallel.size }
  public var dpRank: Int { dataParallel.rank }
  public var dpSize: Int { dataParallel.size }
  /// Rank 0 is the coordinator: it validates input, logs and writes run files.
  public var isCoordinator: Bool { world.rank == 0 }
  /// One rank per node counts per-node quantities (RAPL, memory power) once.
  public var isNodeLeader: Bool { node.rank == 0 }

  /// Splits `world` into groups of `tensorParallelSize` consecutive ranks.
  public init(world: Communicator, tensorParallelSize tp: Int) throws {
    try ProcessGrid.validate(worldSize: world.size, tensorParallelSize: tp)
    self.world = world
    let dpRank = world.rank / tp
    let tpRank = world.rank % tp
    tensorParallel = try world.split(color: dpRank, key: tpRank)
    dataParallel = try world.split(color: tpRank, key: dpRank)
    node = try world.splitByNode()
  }

  /// Rejects a tensor-parallel size that does not divide the world.
  public static func validate(worldSize: Int, tensorParallelSize tp: Int) throws {
    guard tp >= 1 else { throw SwiftletError("parallel.tp must be at least 1, got \(tp)") }
    guard worldSize % tp == 0 else {
      throw SwiftletError(
        "the world of \(worldSize) ranks is not divisible by tensor-parallel size \(tp); "
          + "launch a multiple of \(tp) ranks or change --tp")
    }
  }
}
