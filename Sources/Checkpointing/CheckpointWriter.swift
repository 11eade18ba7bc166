import Foundation
import HDF5Bindings
import SwiftletCore

/// Writes one checkpoint file atomically (docs/checkpoint-format.md).
///
/// The file is created as `<directory>/.step_%08d.h5.tmp-<pid>`; tensors are added one by one
/// (whole or in hyperslab pieces, see `CheckpointTensorWriter`); `commit()` flushes and closes
/// the file, fsyncs it, renames it to `step_%08d.h5` and fsyncs the folder. A checkpoint is
/// therefore visible under its final name only when complete, and a crash at any point leaves
/// at worst a temporary file that `CheckpointDirectory.removeStaleTemporaryFiles()` cleans up.
///
/// Failure is terminal: the first error (no space left, an unwritable folder, a tensor written
/// twice, …) removes the temporary file and is rethrown as
/// `checkpoint for step N not saved: …`; every later call fails the same way. Other files in
/// the folder, earlier checkpoints included, are never touched.
///
/// Typical use:
/// ```swift
/// let writer = try CheckpointWriter(directory: dir, step: 100, tokensSeen: t, config: json)
/// try writer.writeTensor(CheckpointLayout.modelTensor("transformer.wte.weight"),
///                        shape: [50257, 768], values: wte)
/// try writer.writeAccounting(["flops": 1.2e15, "energy_kwh": 0.4])
/// let path = try writer.commit()
/// ```
public final class CheckpointWriter {
  /// The folder the checkpoint is saved in.
  public let directory: String
  /// The optimizer steps completed when the checkpoint was taken.
  public let step: Int
  /// Where the checkpoint appears after `commit()`.
  public let finalPath: String
  /// Where it is written until then.
  public let temporaryPath: String

  private enum Phase {
    case open, committed
    case failed(SwiftletError)
  }
  private var phase = Phase.open
  private var file: HDF5File?
  private var unfinishedTensors: Set<String> = []

  /// Creates the temporary file and writes the root attributes.
  ///
  /// - Parameters:
  ///   - directory: the checkpoint folder (`RUN_DIR/checkpoints`); created if missing.
  ///   - step: optimizer steps completed; names the file.
  ///   - tokensSeen: training tokens consumed so far (global, all ranks).
  ///   - config: the full resolved run configuration as JSON (or TOML) text.
  public convenience init(directory: String, step: Int, tokensSeen: Int64, config: String) throws {
    let folder = URL(fileURLWithPath: directory)
    try self.init(
      directory: directory, finalPath: folder.appendingPathComponent(CheckpointLayout.fileName(step: step)).path,
      temporaryPath: folder.appendingPathComponent(
        CheckpointLayout.temporaryFileName(step: step, processID: getpid())
      ).path, step: step, tokensSeen: tokensSeen, config: config)
  }

  /// Creates a checkpoint that `commit()` renames to `path` (any name; `swiftlet import` uses
  /// it). The temporary file is `.<name>.tmp-<pid>` in the same folder.
  public convenience init(path: String, step: Int, tokensSeen: Int64, config: String) throws {
    let url = URL(fileURLWithPath: path)
    let folder = url.deletingLastPathComponent()
    try self.init(
      directory: folder.path, finalPath: url.path,
      temporaryPath: folder.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())").path,
      step: step, tokensSeen: tokensSeen, config: config)
  }

  private init(
    directory: String, finalPath: String, temporaryPath: String, step: Int, tokensSeen: Int64, config: String
  ) throws {
    guard step >= 0 else {
      throw SwiftletError("checkpoint step must be non-negative, got \(step)")
    }
    self.directory = directory
    self.step = step
    self.finalPath = finalPath
    self.temporaryPath = temporaryPath
    try guarded {
      try DurableFiles.createDirectory(directory)
      // Creating the file ourselves first turns "permission denied" or "read-only file system"
      // into a plain one-line reason instead of HDF5's error stack.
      try DurableFiles.createEmptyFile(temporaryPath)
      let file = try HDF5File.create(path: temporaryPath, userBlockBytes: FileChecksum.userBlockBytes)
      self.file = file
      try file.setAttribute("format", CheckpointLayout.format)
      try file.setAttribute("format_version", CheckpointLayout.formatVersion)
      try file.setAttribute("step", Int64(step))
      try file.setAttribute("tokens_seen", tokensSeen)
      try file.setAttribute("config", config)
      try file.setAttribute("checksum", "crc32: zlib CRC-32 of each dataset's little-endian bytes")
      try file.setAttribute("hdf5_version", hdf5LibraryVersion)
      for group in [
        CheckpointLayout.modelGroup, CheckpointLayout.optimizerGroup,
        CheckpointLayout.accountingGroup,
        CheckpointLayout.stateGroup,
      ] {
        try file.createGroup(group).close()
      }
    }
  }

  deinit {
    if case .open = phase { abandon() }
  }

  // MARK: Tensors

  /// Creates the float32 dataset `path` (`model/<name>` or `optimizer/<kind>/<name>`) of
  /// `shape`, to be filled piece by piece and then finished.
  public func beginTensor(_ path: String, shape: [Int]) throws -> CheckpointTensorWriter {
    try guarded {
      let file = try openFile()
      let isModel = path.hasPrefix(CheckpointLayout.modelGroup + "/")
      let isOptimizer = path.hasPrefix(CheckpointLayout.optimizerGroup + "/")
      guard isModel || isOptimizer, !path.hasSuffix("/") else {
        throw SwiftletError("tensor path '\(path)' must start with 'model/' or 'optimizer/<kind>/'")
      }
      guard !unfinishedTensors.contains(path), try !file.contains(path) else {
        throw SwiftletError("tensor '\(path)' is written twice")
      }
      let dataset = try file.createDataset(path, of: Float.self, shape: shape)
      unfinishedTensors.insert(path)
      return CheckpointTensorWriter(writer: self, path: path, dataset: dataset)
    }
  }

  /// Writes a whole tensor in one call.
  public func writeTensor(_ path: String, shape: [Int], values: UnsafeBufferPointer<Float>) throws {
    let tensor = try beginTensor(path, shape: shape)
    try tensor.write(values)
    try tensor.finish()
  }

  /// Writes a whole tensor from an array.
  public func writeTensor(_ path: String, shape: [Int], values: [Float]) throws {
    try values.withUnsafeBufferPointer { try writeTensor(path, shape: shape, values: $0) }
  }

  /// Adds a string attribute to the root, e.g. `imported_from` (docs/checkpoint-format.md).
  public func writeRootAttribute(_ name: String, _ value: String) throws {
    try guarded { try openFile().setAttribute(name, value) }
  }

  // MARK: Ledger and state

  /// Stores the cumulative ledger as attributes of `/accounting` (replacing equal names).
  public func writeAccounting(_ ledger: [String: Double]) throws {
    try guarded {
      let group = try openFile().openGroup(CheckpointLayout.accountingGroup)
      for (name, value) in ledger.sorted(by: { $0.key < $1.key }) {
        try group.setAttribute(name, value)
      }
    }
  }

  /// Stores extra resume state in `/state` (see `CheckpointState`).
  public func writeState(_ state: CheckpointState) throws {
    try guarded {
      let keys = state.allKeys
      if let duplicate = Dictionary(grouping: keys, by: { $0 }).first(where: { $0.value.count > 1 }
      )?.key {
        throw SwiftletError("checkpoint state key '\(duplicate)' is used twice")
      }
      let group = try openFile().openGroup(CheckpointLayout.stateGroup)
      for (name, value) in state.integers { try group.setAttribute(name, value) }
      for (name, value) in state.doubles { try group.setAttribute(name, value) }
      for (name, value) in state.strings { try group.setAttribute(name, value) }
      func writeArray<T: HDF5Element>(_ name: String, _ values: [T]) throws {
        let dataset = try group.writeDataset(name, values: values, shape: [values.count])
        let crc = values.withUnsafeBufferPointer { CRC32.checksum($0) }
        try dataset.setAttribute(CheckpointLayout.checksumAttribute, Int64(crc))
        try dataset.close()
      }
      for (name, values) in state.integerArrays { try writeArray(name, values) }
      for (name, values) in state.byteArrays { try writeArray(name, values) }
    }
  }

  // MARK: Commit and abandon

  /// Makes the checkpoint durable and visible under `finalPath`; returns that path.
  ///
  /// Order: H5Fflush, H5Fclose, fsync(file), rename(temporary → final), fsync(folder).
  @discardableResult
  public func commit() throws -> String {
    try guarded {
      let file = try openFile()
      if let unfinished = unfinishedTensors.sorted().first {
        throw SwiftletError("tensor '\(unfinished)' was begun but never finished")
      }
      try file.flush()
      try file.close()
      self.file = nil
      try FileChecksum.seal(temporaryPath)
      try DurableFiles.synchronizeFile(temporaryPath)
      try DurableFiles.rename(temporaryPath, to: finalPath)
      phase = .committed
    }
    // The file is complete under its final name; a failed folder sync only weakens the
    // guarantee that the rename survives a power cut, so it is reported but nothing is removed.
    try DurableFiles.synchronizeDirectory(directory)
    return finalPath
  }

  /// Gives up the checkpoint: closes and removes the temporary file. Safe to call twice.
  public func abandon() {
    try? file?.close()
    file = nil
    if case .open = phase {
      phase = .failed(SwiftletError("checkpoint for step \(step) was abandoned"))
    }
    DurableFiles.remove(temporaryPath)
  }

  // MARK: Internals shared with CheckpointTensorWriter

  /// Runs `body` if the checkpoint is still open; turns any error into a terminal failure.
  func guarded<T>(_ body: () throws -> T) throws -> T {
    switch phase {
    case .committed:
      throw SwiftletError("checkpoint for step \(step) is already committed at \(finalPath)")
    case .failed(let error):
      throw error
    case .open:
      do {
        return try body()
      } catch {
        throw fail(error)
      }
    }
  }

  /// Records `error` as the terminal failure, removes the temporary file, returns the error.
  func fail(_ error: Error) -> SwiftletError {
    if case .failed(let earlier) = phase { return earlier }
    let message = (error as? SwiftletError)?.message ?? "\(error)"
    let failure = SwiftletError("checkpoint for step \(step) not saved: \(message)")
    abandon()
    phase = .failed(failure)
    return failure
  }

  func tensorFinished(_ path: String) {
    unfinishedTensors.remove(path)
  }

  private func openFile() throws -> HDF5File {
    guard let file else { throw SwiftletError("checkpoint file \(temporaryPath) is closed") }
    return file
  }
}
