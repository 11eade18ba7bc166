import Foundation
import Kernels
import Parallel
import SwiftletCore

/// Rank 0 reads and validates the configuration and broadcasts it; every rank then builds the
/// same `RunConfig` from the same text (rank 0 is the coordinator).
public enum Coordinator {
  /// Loads the config on rank 0 and shares it. A user error on rank 0 is sent to every rank so
  /// that all of them stop with the same message (printed once, by rank 0).
  public static func distributeConfig(
    world: World, load: () throws -> RunConfig
  ) throws -> RunConfig {
    var message: String
    if world.rank == 0 {
      do {
        message = "ok\n" + (try load()).json
      } catch let error as SwiftletError {
        message = "error\n" + error.message
      } catch {
        message = "error\n\(error)"
      }
    } else {
      message = ""
    }
    message = try world.coordinatorText(message)
    let parts = message.split(separator: "\n", maxSplits: 1).map(String.init)
    if parts.first == "error" {
      throw SwiftletError(parts.count > 1 ? parts[1] : "configuration error on rank 0")
    }
    return try RunConfig.fromJSON(parts.count > 1 ? parts[1] : "{}")
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
