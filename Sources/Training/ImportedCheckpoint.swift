import Checkpointing
import Foundation
import Parallel
import SwiftletCore

/// A Swiftlet checkpoint for any weight source: the source itself, or a temporary import of a
/// Hugging Face folder or llm.c file made by rank 0 and shared through the file system.
struct ImportedCheckpoint {
  var path: String
  var isTemporary: Bool
  var origin: String

  /// Collective over the world; every rank gets the same outcome (or the same error).
  static func materialize(_ source: String, grid: ProcessGrid, scratchDirectory: String) throws -> ImportedCheckpoint {
    // "keep" or "temporary", the checkpoint's path and where its weights come from, a line each.
    let answer = try Coordinator.answer(isCoordinator: grid.isCoordinator, broadcast: grid.coordinatorText) {
      if try ModelSourceKind.detect(source) == .swiftletCheckpoint {
        // Every rank opens it with its whole-file checksum checked, as before imports existed.
        return "keep\n\(source)\nSwiftlet checkpoint \(source)"
      }
      let weights = try ModelSourceKind.open(source)
      try FileManager.default.createDirectory(atPath: scratchDirectory, withIntermediateDirectories: true)
      let path = URL(fileURLWithPath: scratchDirectory)
        .appendingPathComponent("imported-\(getpid())-\(UUID().uuidString.prefix(8)).h5").path
      let config = try RunConfig.imported(model: weights.config, source: source)
      try ModelImport.write(weights, to: path, configJSON: config.json)
      return "temporary\n\(path)\n\(weights.origin)"
    }
    let parts = answer.split(separator: "\n", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
    guard parts.count == 3 else { throw SwiftletError("cannot read \(source)") }
    return ImportedCheckpoint(path: parts[1], isTemporary: parts[0] == "temporary", origin: parts[2])
  }

  /// Once every rank has read it (collective), rank 0 deletes a temporary import.
  func remove(grid: ProcessGrid) {
    guard isTemporary else { return }
    // A barrier, not a broadcast: the root of a broadcast may return before the others have
    // even entered it, and would delete the file under a rank that has not opened it yet.
    try? grid.barrier()
    if grid.isCoordinator { try? FileManager.default.removeItem(atPath: path) }
  }
}
