import Foundation
import SwiftletCore

#if canImport(Glibc)
  import Glibc
#endif

/// A checkpoint file found in a checkpoint folder.
public struct CheckpointEntry: Equatable, Sendable {
  /// The step in its name.
  public var step: Int
  /// Its full path.
  public var path: String
}

/// A checkpoint that `newestValid()` passed over, and why.
public struct SkippedCheckpoint: Sendable {
  public var entry: CheckpointEntry
  /// One line, suitable for `warning: skipping <path>: <reason>`.
  public var reason: String
}

/// The answer of `CheckpointDirectory.newestValid()`.
public struct CheckpointSearch {
  /// The newest checkpoint that opened (and verified, if asked), already open; nil if none.
  public var reader: CheckpointReader?
  /// Newer checkpoints that were passed over, newest first. They are left on disk.
  public var skipped: [SkippedCheckpoint]
}

/// The checkpoints of a run: `RUN_DIR/checkpoints/step_%08d.h5` (docs/checkpoint-format.md).
///
/// Only files named `step_<digits>.h5` count; temporary files (`.step_….h5.tmp-<pid>`) never
/// do. Nothing here deletes a checkpoint that fails to open: damaged files are evidence for
/// a human and are only ever skipped.
public struct CheckpointDirectory: Sendable {
  /// The checkpoint folder.
  public let path: String

  /// The checkpoint folder at `path`.
  public init(path: String) {
    self.path = path
  }

  /// The checkpoint folder of a run directory: `<runDirectory>/checkpoints`.
  public init(runDirectory: String) {
    self.path = URL(fileURLWithPath: runDirectory).appendingPathComponent("checkpoints").path
  }

  /// The final path of the checkpoint of `step`.
  public func path(forStep step: Int) -> String {
    URL(fileURLWithPath: path).appendingPathComponent(CheckpointLayout.fileName(step: step)).path
  }

  /// The checkpoints present, oldest (lowest step) first; empty if the folder does not exist.
  public func entries() throws -> [CheckpointEntry] {
    try fileNames().compactMap { name in
      CheckpointLayout.step(fromFileName: name).map { CheckpointEntry(step: $0, path: child(name)) }
    }.sorted { $0.step < $1.step }
  }

  /// The newest checkpoint that opens as a Swiftlet checkpoint and, with `verifyChecksums`,
  /// whose every dataset matches its CRC-32 (a full read of the file).
  ///
  /// Tries from the newest down and stops at the first good one; the newer ones it passed
  /// over come back in `skipped` with their reasons, for the caller to print as warnings.
  public func newestValid(verifyChecksums: Bool = true) throws -> CheckpointSearch {
    var skipped: [SkippedCheckpoint] = []
    for entry in try entries().reversed() {
      do {
        let reader = try CheckpointReader(path: entry.path, verifyFileChecksum: verifyChecksums)
        if verifyChecksums { try reader.verify() }
        if reader.step != entry.step {
          throw SwiftletError("its name says step \(entry.step) but it holds step \(reader.step)")
        }
        return CheckpointSearch(reader: reader, skipped: skipped)
      } catch {
        let message = (error as? SwiftletError)?.message ?? "\(error)"
        skipped.append(SkippedCheckpoint(entry: entry, reason: message))
      }
    }
    return CheckpointSearch(reader: nil, skipped: skipped)
  }

  /// Deletes the oldest checkpoints so that `keep` (at least 1) valid ones remain; returns the
  /// deleted ones.
  ///
  /// Only files that open as complete Swiftlet checkpoints (header check, no full checksum
  /// pass) are counted or deleted; files that do not open are neither. The newest valid
  /// checkpoint is never deleted, whatever `keep` says.
  @discardableResult
  public func prune(keep: Int) throws -> [CheckpointEntry] {
    let keep = max(1, keep)
    let valid = try entries().filter { (try? CheckpointReader(path: $0.path)) != nil }
    guard valid.count > keep else { return [] }
    var removed: [CheckpointEntry] = []
    for entry in valid.dropLast(keep) {
      guard unlink(entry.path) == 0 else {
        throw SwiftletError(
          "cannot delete old checkpoint \(entry.path): \(DurableFiles.lastError())")
      }
      removed.append(entry)
    }
    try DurableFiles.synchronizeDirectory(path)
    return removed
  }

  /// Removes temporary checkpoint files left by processes that no longer run (a crash or a
  /// kill during a save); returns their paths. Files of live processes, including this one,
  /// are left alone.
  ///
  /// Liveness is checked on this host with `kill(pid, 0)`; only rank 0 of a run writes
  /// checkpoints, so on a shared file system call this from that rank only.
  @discardableResult
  public func removeStaleTemporaryFiles() throws -> [String] {
    var removed: [String] = []
    for name in try fileNames() {
      guard let pid = CheckpointLayout.processID(fromTemporaryFileName: name) else { continue }
      if pid == getpid() { continue }
      if pid > 0, kill(pid, 0) == 0 || errno == EPERM { continue }  // still running
      let stale = child(name)
      if unlink(stale) == 0 { removed.append(stale) }
    }
    return removed
  }

  private func fileNames() throws -> [String] {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return [] }
    guard isDirectory.boolValue else {
      throw SwiftletError("checkpoint folder \(path) is not a folder")
    }
    do {
      return try FileManager.default.contentsOfDirectory(atPath: path)
    } catch {
      throw SwiftletError("cannot list checkpoint folder \(path): \(error.localizedDescription)")
    }
  }

  private func child(_ name: String) -> String {
    URL(fileURLWithPath: path).appendingPathComponent(name).path
  }
}
