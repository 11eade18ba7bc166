import MPIBindings
import SwiftletCore

/// The pipeline × data-parallel × tensor-parallel arrangement of the world's ranks
/// (docs/parallelism.md).
///
/// `rank = ppRank · (D · T) + dpRank · T + tpRank`: tensor-parallel groups are contiguous, so
/// the ranks that exchange activations every layer sit next to each other (usually on one node);
/// a pipeline stage is a contiguous block of D · T ranks, so consecutive stages fill consecutive
/// nodes and only point-to-point activations cross between them. With one stage this is
/// `rank = dpRank · T + tpRank`.
public final class ProcessGrid {
  public let world: Communicator
  /// Ranks holding the same model shard of the same stage (they average gradients).
  public let dataParallel: Communicator
  /// Ranks that together hold one stage of one replica of the model.
  public let tensorParallel: Communicator
  /// The stages of one replica at one tensor-parallel position, in stage order (member `s`
  /// runs stage `s`): activations and their gradients travel here.
  public let pipeline: Communicator
  /// Ranks on this node (for per-node measurements such as RAPL energy).
  public let node: Communicator

  public var worldRank: Int { world.rank }
  public var worldSize: Int { world.size }
  public var tpRank: Int { tensorParallel.rank }
  public var tpSize: Int { tensorParallel.size }
  public var dpRank: Int { dataParallel.rank }
  public var dpSize: Int { dataParallel.size }
  public var ppRank: Int { pipeline.rank }
  public var ppSize: Int { pipeline.size }
  /// Ranks on this node (they share its cores).
  public var ranksOnNode: Int { node.size }
  /// Rank 0 is the coordinator: it validates input, logs and writes run files.
  public var isCoordinator: Bool { world.rank == 0 }
  /// One rank per node counts per-node quantities (RAPL, memory power) once.
  public var isNodeLeader: Bool { node.rank == 0 }

  /// Splits `world` into `pp` stages of data-parallel groups of `tensorParallelSize`
  /// consecutive ranks.
  public init(world: Communicator, tensorParallelSize tp: Int, pipelineStages pp: Int = 1) throws {
    try ProcessGrid.validate(worldSize: world.size, tensorParallelSize: tp, pipelineStages: pp)
    self.world = world
    let stageSize = world.size / pp
    let ppRank = world.rank / stageSize
    let dpRank = world.rank % stageSize / tp
    let tpRank = world.rank % tp
    let dp = stageSize / tp
    tensorParallel = try world.split(color: ppRank * dp + dpRank, key: tpRank)
    dataParallel = try world.split(color: ppRank * tp + tpRank, key: dpRank)
    pipeline = try world.split(color: dpRank * tp + tpRank, key: ppRank)
    node = try world.splitByNode()
  }

  /// The world rank of the member at (`pp`, `dp`, `tp`).
  public func worldRank(pp: Int, dp: Int, tp: Int) -> Int { pp * dpSize * tpSize + dp * tpSize + tp }

  /// Rejects sizes that do not divide the world.
  public static func validate(worldSize: Int, tensorParallelSize tp: Int, pipelineStages pp: Int = 1) throws {
    guard tp >= 1 else { throw SwiftletError("parallel.tp must be at least 1, got \(tp)") }
    guard pp >= 1 else { throw SwiftletError("parallel.pp must be at least 1, got \(pp)") }
    guard worldSize % (tp * pp) == 0 else {
      if pp == 1 {
        throw SwiftletError(
          "the world of \(worldSize) ranks is not divisible by tensor-parallel size \(tp); "
            + "launch a multiple of \(tp) ranks or change --tp")
      }
      throw SwiftletError(
        "the world of \(worldSize) ranks is not divisible by tp × pp = \(tp) × \(pp); "
          + "launch a multiple of \(tp * pp) ranks or change --tp/--pp")
    }
  }
}
