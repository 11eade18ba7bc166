import Checkpointing
import Foundation
import Parallel
import SwiftletCore

/// Decides which checkpoint a run starts from (`checkpoint.resume`): rank 0 looks and verifies,
/// then every rank opens the same file.
///
/// - `never`: start fresh (an existing run directory's metrics are restarted).
/// - `auto`: the newest checkpoint in `RUN_DIR/checkpoints` that opens and passes its checksums;
///   newer ones that fail are reported and left in place (never deleted).
/// - a path: that file, which must be a valid checkpoint.
enum ResumeSource {
  static func resolve(config: RunConfig, grid: ProcessGrid, warn: (String) -> Void) throws -> CheckpointReader? {
    let setting = config.checkpoint.resume
    var message = ""
    if grid.isCoordinator {
      do {
        switch setting {
        case "never":
          message = "none\n"
        case "auto":
          let directory = CheckpointDirectory(runDirectory: config.run.dir)
          _ = try? directory.removeStaleTemporaryFiles()
          let search = try directory.newestValid()
          for skipped in search.skipped {
            warn("warning: skipping checkpoint \(skipped.entry.path): \(skipped.reason)")
          }
          message = search.reader.map { "path\n" + $0.path } ?? "none\n"
        default:
          guard FileManager.default.fileExists(atPath: setting) else {
            throw SwiftletError("checkpoint.resume: no such checkpoint file \(setting)")
          }
          let reader = try CheckpointReader(path: setting)
          try reader.verify()
          message = "path\n" + setting
        }
      } catch {
        message = "error\n" + ((error as? SwiftletError)?.message ?? "\(error)")
      }
    }
    message = try grid.coordinatorText(message)
    let parts = message.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
    switch parts[0] {
    case "error": throw SwiftletError(parts[1])
    case "path":
      // Rank 0 has just verified the file (whole-file and per-tensor checksums) in both
      // branches above; reading it again on any rank would only repeat that work.
      return try CheckpointReader(path: parts[1], verifyFileChecksum: false)
    default: return nil
    }
  }
}
