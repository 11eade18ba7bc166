import Foundation
import HDF5Bindings
import SwiftletCore

/// One dataset of a checkpoint, as listed by `CheckpointReader.tensors()`.
public struct CheckpointTensorInfo: Equatable, Sendable {
  /// Path inside the file, e.g. `model/transformer.wte.weight` or
  /// `optimizer/exp_avg/transformer.wte.weight`.
  public var path: String
  /// Full (unsharded) shape.
  public var shape: [Int]
  /// Element type (`float32` for every model and optimizer tensor).
  public var kind: HDF5ElementKind?
  /// The stored CRC-32, nil if the dataset has none.
  public var storedChecksum: UInt32?

  /// Number of elements.
  public var elementCount: Int { shape.reduce(1, *) }
}

/// The outcome of re-reading one dataset during `CheckpointReader.verifyTensors()`.
public struct CheckpointTensorCheck: Sendable {
  public var path: String
  /// Why the check failed, nil if it passed.
  public var problem: String?

  public var isOK: Bool { problem == nil }
}

/// Reads a checkpoint: header, ledger, state, and tensors whole or by hyperslab.
///
/// Opening checks the root attributes `format` and `format_version`, so a file that is not
/// HDF5, a truncated file, another program's HDF5 file and a file from a newer Swiftlet each
/// fail with a one-line error. Checksums are checked by `verify()` (a full read of the file).
///
/// Resharding: each rank opens the file and reads just the hyperslab of each full tensor that
/// its new layout owns (`read(_:offset:count:into:)`); no rank ever holds a whole tensor it
/// does not need, and the file never depends on the layout that wrote it.
public final class CheckpointReader {
  /// The file.
  public let path: String
  /// The file's `format_version`.
  public let formatVersion: Int
  /// Optimizer steps completed when the checkpoint was saved.
  public let step: Int
  /// Training tokens consumed by then.
  public let tokensSeen: Int64
  /// The run configuration text stored by the writer (JSON, or TOML).
  public let config: String
  /// Where the weights came from when the file was made by `swiftlet import` (root attribute
  /// `imported_from`), else nil.
  public let importedFrom: String?

  private let file: HDF5File

  /// Opens `path` read-only and checks that it is a Swiftlet checkpoint this build reads.
  /// - Parameter verifyFileChecksum: check the whole-file CRC before HDF5 parses the file (a
  ///   full read). Ranks opening a file that rank 0 has just verified may skip it.
  public init(path: String, verifyFileChecksum: Bool = true) throws {
    self.path = path
    if verifyFileChecksum { try FileChecksum.verify(path) }
    let file = try HDF5File.open(path: path)
    self.file = file
    guard try file.hasAttribute("format"), case .string = try file.attributeKind("format") else {
      throw SwiftletError(
        "\(path) is an HDF5 file but not a Swiftlet checkpoint (no 'format' attribute)")
    }
    let format = try file.stringAttribute("format")
    guard format == CheckpointLayout.format else {
      throw SwiftletError(
        "\(path) is an HDF5 file but not a Swiftlet checkpoint (format is '\(format)')")
    }
    func required<T>(_ name: String, _ read: (String) throws -> T) throws -> T {
      guard try file.hasAttribute(name) else {
        throw SwiftletError("checkpoint \(path) is incomplete: root attribute '\(name)' is missing")
      }
      do {
        return try read(name)
      } catch let error as SwiftletError {
        throw SwiftletError(
          "checkpoint \(path) has a bad root attribute '\(name)': \(error.message)")
      }
    }
    let version = try required("format_version", file.int64Attribute)
    guard version == CheckpointLayout.formatVersion else {
      throw SwiftletError(
        "checkpoint \(path) has format_version \(version); this build of swiftlet reads version \(CheckpointLayout.formatVersion)"
      )
    }
    self.formatVersion = Int(version)
    self.step = Int(try required("step", file.int64Attribute))
    self.tokensSeen = try required("tokens_seen", file.int64Attribute)
    self.config = try required("config", file.stringAttribute)
    self.importedFrom = try file.hasAttribute("imported_from") ? try? file.stringAttribute("imported_from") : nil
    guard try file.contains(CheckpointLayout.modelGroup) else {
      throw SwiftletError("checkpoint \(path) is incomplete: group '/model' is missing")
    }
  }

  // MARK: Ledger and state

  /// The `/accounting` attributes (empty if the group is missing).
  public func accounting() throws -> [String: Double] {
    guard try file.contains(CheckpointLayout.accountingGroup) else { return [:] }
    let group = try file.openGroup(CheckpointLayout.accountingGroup)
    var ledger: [String: Double] = [:]
    for name in try group.attributeNames() {
      if case .numbers(_, count: 1) = try group.attributeKind(name) {
        ledger[name] = try group.doubleAttribute(name)
      }
    }
    return ledger
  }

  /// The `/state` group's attributes and small datasets.
  public func state() throws -> CheckpointState {
    var state = CheckpointState()
    guard try file.contains(CheckpointLayout.stateGroup) else { return state }
    let group = try file.openGroup(CheckpointLayout.stateGroup)
    for name in try group.attributeNames() {
      switch try group.attributeKind(name) {
      case .string: state.strings[name] = try group.stringAttribute(name)
      case .numbers(.float32, count: 1), .numbers(.float64, count: 1):
        state.doubles[name] = try group.doubleAttribute(name)
      case .numbers(_, count: 1): state.integers[name] = try group.int64Attribute(name)
      default: continue
      }
    }
    for name in try group.memberNames() where try group.memberKind(name) == .dataset {
      let dataset = try group.openDataset(name)
      switch dataset.kind {
      case .int64: state.integerArrays[name] = try dataset.read(as: Int64.self)
      case .uint8: state.byteArrays[name] = try dataset.read(as: UInt8.self)
      default: continue
      }
    }
    return state
  }

  // MARK: Tensors

  /// Every dataset under `/model` and `/optimizer`, in file order (groups, then names).
  public func tensors() throws -> [CheckpointTensorInfo] {
    var found: [CheckpointTensorInfo] = []
    for group in [CheckpointLayout.modelGroup, CheckpointLayout.optimizerGroup]
    where try file.contains(group) {
      try collectDatasets(in: file.openGroup(group), prefix: group, into: &found)
    }
    return found
  }

  /// Whether a tensor exists at `path`.
  public func contains(_ path: String) throws -> Bool {
    try file.contains(path)
  }

  /// The shape of tensor `path`.
  public func shape(of path: String) throws -> [Int] {
    try openTensor(path).shape
  }

  /// Reads tensor `path` whole.
  public func read(_ path: String) throws -> [Float] {
    try openTensor(path).read(as: Float.self)
  }

  /// Reads tensor `path` whole into `buffer` (exactly its element count).
  public func read(_ path: String, into buffer: UnsafeMutableBufferPointer<Float>) throws {
    try openTensor(path).read(into: buffer)
  }

  /// Reads the box `offset ..< offset + count` of tensor `path` into `buffer` (row-major order
  /// of the box): the primitive of loading on another parallel layout.
  public func read(
    _ path: String, offset: [Int], count: [Int], into buffer: UnsafeMutableBufferPointer<Float>
  ) throws {
    try openTensor(path).read(into: buffer, offset: offset, count: count)
  }

  /// Reads rows `rows` (first dimension) of tensor `path` into `buffer`.
  public func read(_ path: String, rows: Range<Int>, into buffer: UnsafeMutableBufferPointer<Float>)
    throws
  {
    let dataset = try openTensor(path)
    guard !dataset.shape.isEmpty else {
      throw SwiftletError("tensor '\(path)' in \(self.path) has no rows")
    }
    var offset = dataset.shape.map { _ in 0 }
    var count = dataset.shape
    offset[0] = rows.lowerBound
    count[0] = rows.count
    try dataset.read(into: buffer, offset: offset, count: count)
  }

  // MARK: Verification

  /// Re-reads every dataset of the file (tensors and state arrays) and compares its CRC-32
  /// with the stored one. Memory: one block of at most 32 MiB at a time.
  public func verifyTensors() throws -> [CheckpointTensorCheck] {
    var datasets: [CheckpointTensorInfo] = []
    for name in try file.memberNames() where try file.memberKind(name) == .group {
      try collectDatasets(in: file.openGroup(name), prefix: name, into: &datasets)
    }
    return datasets.map { info in
      let requiresChecksum = !info.path.hasPrefix(CheckpointLayout.stateGroup + "/")
      var check = CheckpointTensorCheck(path: info.path)
      do {
        let computed = try checksum(of: info)
        if let stored = info.storedChecksum, stored != computed {
          check.problem =
            "checksum mismatch (stored \(CRC32.hex(stored)), computed \(CRC32.hex(computed)))"
        } else if info.storedChecksum == nil, requiresChecksum {
          check.problem = "no '\(CheckpointLayout.checksumAttribute)' attribute"
        }
      } catch let error as SwiftletError {
        check.problem = error.message
      } catch {
        check.problem = "\(error)"
      }
      return check
    }
  }

  /// Throws a one-line error naming the first damaged dataset, if any.
  public func verify() throws {
    if let bad = try verifyTensors().first(where: { !$0.isOK }) {
      throw SwiftletError("checkpoint \(path) is damaged: '\(bad.path)': \(bad.problem ?? "")")
    }
  }

  // MARK: Internals

  private func openTensor(_ tensorPath: String) throws -> HDF5Dataset {
    guard try file.contains(tensorPath), try file.memberKind(tensorPath) == .dataset else {
      throw SwiftletError("checkpoint \(path) has no tensor '\(tensorPath)'")
    }
    return try file.openDataset(tensorPath)
  }

  private func collectDatasets(
    in group: HDF5Group, prefix: String, into found: inout [CheckpointTensorInfo]
  )
    throws
  {
    for name in try group.memberNames() {
      let memberPath = "\(prefix)/\(name)"
      switch try group.memberKind(name) {
      case .group:
        try collectDatasets(in: group.openGroup(name), prefix: memberPath, into: &found)
      case .dataset:
        let dataset = try group.openDataset(name)
        var stored: UInt32?
        if try dataset.hasAttribute(CheckpointLayout.checksumAttribute) {
          stored = UInt32(
            truncatingIfNeeded: try dataset.int64Attribute(CheckpointLayout.checksumAttribute))
        }
        found.append(
          CheckpointTensorInfo(
            path: memberPath, shape: dataset.shape, kind: dataset.kind, storedChecksum: stored))
      case .other:
        continue
      }
    }
  }

  /// The CRC-32 of a dataset's bytes, read in blocks of whole rows (first dimension).
  private func checksum(of info: CheckpointTensorInfo) throws -> UInt32 {
    let dataset = try file.openDataset(info.path)
    switch dataset.kind {
    case .float32: return try blockChecksum(dataset, Float.self)
    case .float64: return try blockChecksum(dataset, Double.self)
    case .int32: return try blockChecksum(dataset, Int32.self)
    case .int64: return try blockChecksum(dataset, Int64.self)
    case .uint8: return try blockChecksum(dataset, UInt8.self)
    case nil: throw SwiftletError("dataset of a type swiftlet does not store")
    }
  }

  private func blockChecksum<T: HDF5Element>(_ dataset: HDF5Dataset, _ type: T.Type) throws -> UInt32 {
    let blockBytes = 32 << 20
    let shape = dataset.shape
    if shape.isEmpty {
      return try dataset.read(as: T.self).withUnsafeBufferPointer { CRC32.checksum($0) }
    }
    let rows = shape[0]
    if dataset.elementCount == 0 { return 0 }  // the CRC-32 of no bytes
    let rowElements = dataset.elementCount / rows
    let rowsPerBlock = max(1, blockBytes / max(1, rowElements * MemoryLayout<T>.stride))
    let buffer = UnsafeMutableBufferPointer<T>.allocate(
      capacity: min(rows, rowsPerBlock) * rowElements)
    defer { buffer.deallocate() }
    var crc: UInt32 = 0
    var start = 0
    while start < rows {
      let count = min(rowsPerBlock, rows - start)
      let block = UnsafeMutableBufferPointer(rebasing: buffer[0..<count * rowElements])
      var offset = shape.map { _ in 0 }
      var extent = shape
      offset[0] = start
      extent[0] = count
      try dataset.read(into: block, offset: offset, count: extent)
      crc = CRC32.checksum(UnsafeBufferPointer(block), continuing: crc)
      start += count
    }
    return crc
  }
}
