import Foundation
import SwiftletCore

/// Holds one input file's tokens until its total is known, so `prepare` can split them by count.
///
/// `prepare` splits each file by tokens, train getting the first ⌊(1 − F)·N⌋ (docs/data.md), and
/// N is only known at the end of the file. Tokens stay in memory up to `memoryLimit`, beyond which they go
/// to a temporary file (2 bytes per token, under a quarter of the text's size), so memory stays
/// bounded for inputs larger than RAM.
final class TokenSpool {
  private let spillPath: String
  private let memoryLimit: Int
  private var memory: [UInt16] = []
  private var spill: FileHandle?
  private var spilled = 0

  /// Tokens appended so far.
  var count: Int { spilled + memory.count }

  /// - Parameters:
  ///   - spillPath: where to put the temporary file if one is needed (removed by `close()`).
  ///   - memoryLimit: tokens kept in memory before spilling.
  init(spillPath: String, memoryLimit: Int) {
    self.spillPath = spillPath
    self.memoryLimit = max(memoryLimit, 1)
  }

  deinit { close() }

  func append(_ tokens: [Int32]) throws {
    // Spill before the array would outgrow the limit (its capacity doubles, so it never reaches 2×).
    if memory.count + tokens.count > memoryLimit && !memory.isEmpty { try spillMemory() }
    for token in tokens { memory.append(UInt16(truncatingIfNeeded: token)) }  // ids < 50257 fit
  }

  /// Replays every token in order, in blocks, to `body`.
  func replay(_ body: (UnsafeBufferPointer<UInt16>) throws -> Void) throws {
    if let spill {
      try spill.seek(toOffset: 0)
      var remaining = spilled
      while remaining > 0 {
        let take = min(remaining, 1 << 20)
        guard let data = try spill.read(upToCount: 2 * take), data.count == 2 * take else {
          throw SwiftletError("cannot read back temporary token file \(spillPath)")
        }
        // Written in host byte order by this process; copied out to get UInt16 alignment.
        var block = [UInt16](repeating: 0, count: take)
        _ = block.withUnsafeMutableBytes { data.copyBytes(to: $0) }
        try block.withUnsafeBufferPointer { try body($0) }
        remaining -= take
      }
    }
    try memory.withUnsafeBufferPointer { try body($0) }
  }

  /// Removes the temporary file, if any.
  func close() {
    if let spill {
      try? spill.close()
      unlink(spillPath)
    }
    spill = nil
  }

  private func spillMemory() throws {
    do {
      if spill == nil {
        guard FileManager.default.createFile(atPath: spillPath, contents: nil),
          let handle = FileHandle(forUpdatingAtPath: spillPath)
        else {
          throw SwiftletError("cannot create temporary token file \(spillPath)")
        }
        spill = handle
      }
      try memory.withUnsafeBytes { try spill!.write(contentsOf: $0) }
    } catch {
      throw error as? SwiftletError
        ?? SwiftletError("cannot write temporary token file \(spillPath): \(error.localizedDescription)")
    }
    spilled += memory.count
    memory.removeAll(keepingCapacity: true)
  }
}
