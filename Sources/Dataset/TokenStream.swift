import Foundation
import SwiftletCore

/// The concatenation of one or more token shards, read by global token offset with wrap-around.
///
/// Shards are memory-mapped, so a corpus larger than RAM costs only the pages a batch touches.
/// Batches are windows of this stream (docs/configuration.md, "Data order"): the batch of step `s` starts
/// at token `s · B · T` and wraps to the start when the data runs out.
public final class TokenStream: @unchecked Sendable {
  /// Shard paths in the order they are concatenated (sorted, as a glob expands them).
  public let paths: [String]
  /// Total tokens over all shards.
  public let count: Int

  private let shards: [Data]
  private let starts: [Int]  // global offset of each shard's first token

  /// Opens every shard matched by `pattern` (a path or a glob; several separated by commas).
  /// - Parameter vocabSize: when given, every token id is checked to be below it.
  public init(pattern: String, vocabSize: Int? = nil) throws {
    var matched: [String] = []
    for piece in pattern.split(separator: ",").map({ String($0).trimmingCharacters(in: .whitespaces) })
    where !piece.isEmpty {
      let found = try FileGlob.expand(piece)
      if found.isEmpty {
        throw SwiftletError("no token shards match '\(piece)' (run `swiftlet prepare` first?)")
      }
      matched += found
    }
    guard !matched.isEmpty else { throw SwiftletError("no token shard paths given") }
    var shards: [Data] = []
    var starts: [Int] = []
    var total = 0
    for path in matched {
      let data: Data
      do {
        data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
      } catch {
        throw SwiftletError("cannot read token shard \(path): \(error.localizedDescription)")
      }
      let n = try data.withUnsafeBytes { try TokenShard.tokenCount(header: $0, fileSize: data.count, path: path) }
      if let vocabSize {
        try data.withUnsafeBytes { raw in
          let tokens = raw.baseAddress!.advanced(by: TokenShard.headerBytes)
          for i in 0..<n {
            let id = Int(UInt16(littleEndian: tokens.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
            if id >= vocabSize {
              throw SwiftletError("\(path): token \(i) has id \(id), not below the vocabulary size \(vocabSize)")
            }
          }
        }
      }
      shards.append(data)
      starts.append(total)
      total += n
    }
    guard total > 0 else { throw SwiftletError("token shards '\(pattern)' hold no tokens") }
    self.paths = matched
    self.shards = shards
    self.starts = starts
    self.count = total
  }

  /// Copies `length` tokens starting at global `offset` (taken modulo `count`) into `out`.
  public func read(offset: Int, into out: UnsafeMutableBufferPointer<Int32>) {
    var position = ((offset % count) + count) % count
    var written = 0
    while written < out.count {
      let shard = starts.lastIndex { $0 <= position }!  // the shard holding `position`
      let shardCount = (shard + 1 < starts.count ? starts[shard + 1] : count) - starts[shard]
      let local = position - starts[shard]
      let take = min(shardCount - local, out.count - written)
      shards[shard].withUnsafeBytes { raw in
        let tokens = raw.baseAddress!.advanced(by: TokenShard.headerBytes + 2 * local)
        for i in 0..<take {
          out[written + i] = Int32(UInt16(littleEndian: tokens.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
        }
      }
      written += take
      position = (position + take) % count
    }
  }

  /// `length` tokens starting at global `offset`, wrapping around the end.
  public func tokens(offset: Int, length: Int) -> [Int32] {
    var out = [Int32](repeating: 0, count: length)
    out.withUnsafeMutableBufferPointer { read(offset: offset, into: $0) }
    return out
  }
}
