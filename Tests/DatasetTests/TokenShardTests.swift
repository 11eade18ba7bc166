import Foundation
import SwiftletCore
import Testing

@testable import Dataset

/// The llm.c shard format (contract section 4) and the reader's errors.
@Suite struct TokenShardTests {
  static func shardBytes(
    magic: Int32 = TokenShard.magic, version: Int32 = TokenShard.version, count: Int32, tokens: [UInt16]
  ) -> Data {
    var header = [Int32](repeating: 0, count: 256)
    header[0] = magic.littleEndian
    header[1] = version.littleEndian
    header[2] = count.littleEndian
    var data = header.withUnsafeBytes { Data($0) }
    for token in tokens { withUnsafeBytes(of: token.littleEndian) { data.append(contentsOf: $0) } }
    return data
  }

  @Test func writerProducesTheLlmcLayout() throws {
    let folder = try TestData.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = folder + "/train_000000.bin"
    try TokenShardWriter.write([5962, 22307, 25, 198, 50256], to: path)
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    #expect(data == TokenShardTests.shardBytes(count: 5, tokens: [5962, 22307, 25, 198, 50256]))
    #expect(try TokenStream(pattern: path).tokens(offset: 3, length: 4) == [198, 50256, 5962, 22307])  // wraps
    // No temporary file is left next to the shard.
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["train_000000.bin"])
  }

  @Test(arguments: [
    ("bad magic", TokenShardTests.shardBytes(magic: 20_240_521, count: 2, tokens: [1, 2]), "not a token shard"),
    (
      "bad version", TokenShardTests.shardBytes(version: 2, count: 2, tokens: [1, 2]), "unsupported token shard version"
    ),
    ("truncated tokens", TokenShardTests.shardBytes(count: 3, tokens: [1, 2]), "truncated"),
    ("extra bytes", TokenShardTests.shardBytes(count: 1, tokens: [1, 2]), "truncated or padded"),
    (
      "truncated header", TokenShardTests.shardBytes(count: 0, tokens: []).prefix(100),
      "shorter than the 1024-byte header"
    ),
  ])
  func readerRejectsMalformedShards(name: String, bytes: Data, message: String) throws {
    let folder = try TestData.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = folder + "/shard.bin"
    try bytes.write(to: URL(fileURLWithPath: path))
    #expect(
      performing: { try TokenStream(pattern: path) },
      throws: { error in
        (error as? SwiftletError)?.message.contains(message) == true
      })
  }
}
