import Foundation
import SwiftletCore

/// Writes a token stream as numbered shards `DIR/<prefix>_000000.bin`, `_000001.bin`, …, starting
/// the next shard when one reaches `shardTokens` tokens. No file is created until the first token
/// arrives, so an empty split leaves no empty shard behind.
final class ShardSeriesWriter {
  let directory: String
  let prefix: String
  let shardTokens: Int
  /// Paths of the shards completed so far, in order.
  private(set) var completed: [String] = []
  /// Tokens written over all shards.
  private(set) var count = 0
  private var current: TokenShardWriter?

  init(directory: String, prefix: String, shardTokens: Int) {
    precondition(shardTokens > 0, "shardTokens must be positive")
    self.directory = directory
    self.prefix = prefix
    self.shardTokens = shardTokens
  }

  /// The file name of shard `index` (docs/data.md: `train_000000.bin`, …).
  static func fileName(prefix: String, index: Int) -> String {
    "\(prefix)_\(String(format: "%06d", index)).bin"
  }

  func append(_ tokens: UnsafeBufferPointer<UInt16>) throws {
    var offset = 0
    while offset < tokens.count {
      let writer = try currentWriter()
      let take = min(shardTokens - writer.count, tokens.count - offset)
      try writer.append(UnsafeBufferPointer(rebasing: tokens[offset..<offset + take]))
      offset += take
      count += take
      if writer.count == shardTokens { try finish() }
    }
  }

  /// Removes the open shard's temporary file after an error.
  func abandon() {
    current?.abandon()
    current = nil
  }

  private func currentWriter() throws -> TokenShardWriter {
    if let current { return current }
    let name = ShardSeriesWriter.fileName(prefix: prefix, index: completed.count)
    let writer = try TokenShardWriter(path: (directory as NSString).appendingPathComponent(name))
    current = writer
    return writer
  }

  /// Completes the open shard, if any (a shard that fails to complete removes its temporary file).
  func finish() throws {
    guard let writer = current else { return }
    current = nil
    try writer.finish()
    completed.append(writer.path)
  }
}
