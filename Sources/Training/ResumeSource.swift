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
    // The verified checkpoint's path, or "" to start fresh.
    let path = try Coordinator.answer(isCoordinator: grid.isCoordinator, broadcast: grid.coordinatorText) {
      switch setting {
      case "never":
        return ""
      case "auto":
        let directory = CheckpointDirectory(runDirectory: config.run.dir)
        _ = try? directory.removeStaleTemporaryFiles()
        let search = try directory.newestValid()
        for skipped in search.skipped {
          warn("warning: skipping checkpoint \(skipped.entry.path): \(skipped.reason)")
        }
        return search.reader?.path ?? ""
      default:
        guard FileManager.default.fileExists(atPath: setting) else {
          throw SwiftletError("checkpoint.resume: no such checkpoint file \(setting)")
        }
        try CheckpointReader(path: setting).verify()
        return setting
      }
    }
    guard !path.isEmpty else { return nil }
    // Rank 0 has just verified the file (whole-file and per-tensor checksums) in both
    // branches above; reading it again on any rank would only repeat that work.
    return try CheckpointReader(path: path, verifyFileChecksum: false)
  }
}
