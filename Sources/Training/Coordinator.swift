import Foundation
import Kernels
import Parallel
import SwiftletCore

/// Rank 0 reads and validates the configuration and broadcasts it; every rank then builds the
/// same `RunConfig` from the same text (rank 0 is the coordinator). `answer` does the same for
/// the other decisions rank 0 makes alone (the checkpoint to resume, a weight import, the series).
public enum Coordinator {
  /// Loads the config on rank 0 and shares it. A user error on rank 0 is sent to every rank so
  /// that all of them stop with the same message (printed once, by rank 0).
  public static func distributeConfig(
    world: World, load: () throws -> RunConfig
  ) throws -> RunConfig {
    try RunConfig.fromJSON(
      try answer(isCoordinator: world.rank == 0, broadcast: world.coordinatorText) { try load().json })
  }

  /// Runs `work` on rank 0 only and hands its text to every rank through `broadcast` (rank 0's
  /// text on every rank, collective): all ranks return the same text, or throw the same one-line
  /// error.
  static func answer(
    isCoordinator: Bool, broadcast: (String) throws -> String, raisedByAllRanks: Bool = false,
    _ work: () throws -> String
  ) throws -> String {
    var message = ""
    if isCoordinator {
      do {
        message = "ok\n" + (try work())
      } catch {
        message = "error\n" + ((error as? SwiftletError)?.message ?? "\(error)")
      }
    }
    let parts = try broadcast(message).split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
    if parts[0] == "error" { throw SwiftletError(String(parts[1]), raisedByAllRanks: raisedByAllRanks) }
    return String(parts[1])
  }

  /// OpenBLAS threads for this rank: the configured number, or the node's cores shared evenly
  /// among the ranks on the node (TOOLCHAIN: one thread per rank when ranks = cores).
  public static func configureThreads(requested: Int, ranksOnNode: Int) -> Int {
    let cores = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    let threads = requested > 0 ? requested : max(1, cores / max(1, ranksOnNode))
    setBLASThreads(threads)
    return threads
  }
}
