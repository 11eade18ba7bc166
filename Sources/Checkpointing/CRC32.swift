import CZlib
import SwiftletCore

/// CRC-32 as zlib (and Python's `zlib.crc32`) computes it: polynomial 0xEDB88320, reflected,
/// initial and final XOR 0xFFFFFFFF. zlib's implementation runs at several GB/s, so the
/// checksum adds well under a second to a 1.5 GB checkpoint.
public enum CRC32 {
  /// The CRC-32 of `bytes`, continuing from `crc` (the CRC of the bytes before them).
  public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
    guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
    return UInt32(crc32_z(UInt(crc), base.assumingMemoryBound(to: Bytef.self), bytes.count))
  }

  /// The CRC-32 of `values`' bytes in memory order (little-endian on every supported host).
  public static func checksum<T>(_ values: UnsafeBufferPointer<T>, continuing crc: UInt32 = 0)
    -> UInt32
  {
    checksum(UnsafeRawBufferPointer(values), continuing: crc)
  }

  /// `0x` and eight hex digits, as the docs and `swiftlet inspect` print checksums.
  public static func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
  }

  /// The CRC-32 of A‖B, from `crc(A)`, `crc(B)` and the length of B in bytes.
  public static func combine(_ first: UInt32, _ second: UInt32, secondLength: Int) -> UInt32 {
    UInt32(crc32_combine(UInt(first), UInt(second), secondLength))
  }
}

/// The CRC-32 of a row-major tensor assembled from hyperslab pieces that arrive in any order.
///
/// Each piece is split into the runs of bytes it covers contiguously in the tensor's row-major
/// layout; each run's CRC is computed straight from the caller's buffer (no copy), and at the
/// end the runs are sorted and combined with `CRC32.combine`. The result equals the CRC-32 of
/// the whole tensor's bytes written at once, and the bookkeeping also proves that every element
/// was written exactly once.
struct PiecewiseChecksum {
  /// A contiguous run of the tensor's bytes and its CRC-32.
  struct Run {
    var start: Int  // byte offset in the tensor
    var length: Int  // bytes
    var crc: UInt32
  }

  let shape: [Int]
  let elementSize: Int
  private var runs: [Run] = []

  init(shape: [Int], elementSize: Int) {
    self.shape = shape
    self.elementSize = elementSize
  }

  /// Total bytes of the tensor.
  var byteCount: Int { shape.reduce(1, *) * elementSize }

  /// Records the box `offset ..< offset + count`, whose elements `bytes` holds in row-major
  /// order of the box: the CRC of each run it covers, read straight from `bytes`. The box must
  /// already have been checked to lie inside the tensor.
  mutating func add(_ bytes: UnsafeRawBufferPointer, offset: [Int], count: [Int]) {
    if count.contains(0) { return }
    let rank = shape.count
    if rank == 0 {
      return append(
        Run(
          start: 0, length: elementSize, crc: CRC32.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<elementSize])))
      )
    }
    // Element strides of the tensor.
    var strides = [Int](repeating: 1, count: rank)
    for axis in stride(from: rank - 2, through: 0, by: -1) {
      strides[axis] = strides[axis + 1] * shape[axis + 1]
    }
    // Axes after `inner` are covered fully, so each step of the axes before it is one run.
    var inner = rank - 1
    while inner > 0, offset[inner] == 0, count[inner] == shape[inner] { inner -= 1 }
    let runBytes = count[inner] * strides[inner] * elementSize
    var index = [Int](repeating: 0, count: inner)  // odometer over axes 0 ..< inner
    var source = 0
    while true {
      var start = offset[inner] * strides[inner]
      for axis in 0..<inner { start += (offset[axis] + index[axis]) * strides[axis] }
      let crc = CRC32.checksum(UnsafeRawBufferPointer(rebasing: bytes[source..<source + runBytes]))
      append(Run(start: start * elementSize, length: runBytes, crc: crc))
      source += runBytes
      // Advance the odometer; stop after the last combination.
      var axis = inner - 1
      while axis >= 0 {
        index[axis] += 1
        if index[axis] < count[axis] { break }
        index[axis] = 0
        axis -= 1
      }
      if axis < 0 { break }
    }
  }

  /// Adds `run`, merged into the last run when it continues it: pieces usually arrive as
  /// consecutive rows, and merging at once keeps the list short.
  private mutating func append(_ run: Run) {
    if let last = runs.last, last.start + last.length == run.start {
      runs[runs.count - 1].crc = CRC32.combine(last.crc, run.crc, secondLength: run.length)
      runs[runs.count - 1].length += run.length
    } else {
      runs.append(run)
    }
  }

  /// The CRC-32 of the whole tensor, or an error naming the first gap or overlap.
  func finish(name: String) throws -> UInt32 {
    var crc: UInt32 = 0
    var expected = 0
    for run in runs.sorted(by: { $0.start < $1.start }) {
      if run.start < expected {
        throw SwiftletError(
          "tensor '\(name)': elements from \(run.start / elementSize) were written twice")
      }
      if run.start > expected {
        throw SwiftletError(
          "tensor '\(name)' is incomplete: elements \(expected / elementSize) ..< \(run.start / elementSize) were never written"
        )
      }
      crc = CRC32.combine(crc, run.crc, secondLength: run.length)
      expected += run.length
    }
    if expected != byteCount {
      throw SwiftletError(
        "tensor '\(name)' is incomplete: elements \(expected / elementSize) ..< \(byteCount / elementSize) were never written"
      )
    }
    return crc
  }
}
