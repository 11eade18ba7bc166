import HDF5Bindings
import SwiftletCore

/// Writes one float32 tensor of a checkpoint, whole or in pieces.
///
/// Pieces are boxes (an offset and a count per dimension) whose elements the caller passes
/// contiguously in row-major order of the box, e.g. the row blocks of `wte` or the column
/// slices of `c_attn` as they arrive from other ranks. Each piece goes straight from the
/// caller's buffer to the file; only its CRC bookkeeping (a few bytes per contiguous run) is
/// kept, so the extra memory of a save is at most the one piece the caller holds.
///
/// `finish()` checks that every element was written exactly once, stores the CRC-32 attribute
/// and closes the dataset. Any error abandons the whole checkpoint (see `CheckpointWriter`).
public final class CheckpointTensorWriter {
  /// The dataset path inside the file, e.g. `model/transformer.h.0.attn.c_attn.weight`.
  public let path: String
  /// The full tensor's shape.
  public let shape: [Int]

  private let writer: CheckpointWriter
  private var dataset: HDF5Dataset?
  private var checksum: PiecewiseChecksum

  init(writer: CheckpointWriter, path: String, dataset: HDF5Dataset) {
    self.writer = writer
    self.path = path
    self.shape = dataset.shape
    self.dataset = dataset
    self.checksum = PiecewiseChecksum(shape: dataset.shape, elementSize: MemoryLayout<Float>.size)
  }

  /// Writes the whole tensor (row-major, `shape.reduce(1, *)` values).
  public func write(_ values: UnsafeBufferPointer<Float>) throws {
    try write(values, offset: shape.map { _ in 0 }, count: shape)
  }

  /// Writes the box `offset ..< offset + count` from `values` (row-major order of the box).
  public func write(_ values: UnsafeBufferPointer<Float>, offset: [Int], count: [Int]) throws {
    try writer.guarded {
      guard let dataset else { throw SwiftletError("tensor '\(path)' is written after finish()") }
      try dataset.checkHyperslab(offset: offset, count: count, bufferCount: values.count)
      // Sequential on purpose: computing the CRC on a second thread during the write was
      // measured no faster on these 2-core machines (the kernel's copy into the page cache
      // competes for the same cores), and CRC-32 runs at ~6 GB/s anyway.
      try dataset.write(values, offset: offset, count: count)
      checksum.add(UnsafeRawBufferPointer(values), offset: offset, count: count)
    }
  }

  /// Checks that every element was written once, stores the checksum and closes the dataset.
  public func finish() throws {
    try writer.guarded {
      guard let dataset else { return }
      let crc = try checksum.finish(name: path)
      try dataset.setAttribute(CheckpointLayout.checksumAttribute, Int64(crc))
      try dataset.close()
      self.dataset = nil
      writer.tensorFinished(path)
    }
  }
}
