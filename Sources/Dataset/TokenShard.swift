import Foundation
import SwiftletCore

/// The llm.c token shard format (docs/data.md).
///
/// A header of 256 little-endian int32 values — `[0]` magic 20240520, `[1]` version 1,
/// `[2]` token count — followed by that many little-endian uint16 token ids.
public enum TokenShard {
  public static let magic: Int32 = 20_240_520
  public static let version: Int32 = 1
  public static let headerInts = 256
  public static let headerBytes = headerInts * 4

  /// Reads and checks a shard's header; returns its token count.
  public static func tokenCount(header: UnsafeRawBufferPointer, fileSize: Int, path: String) throws -> Int {
    guard fileSize >= headerBytes else {
      throw SwiftletError("\(path): not a token shard (file is \(fileSize) bytes, shorter than the 1024-byte header)")
    }
    let magicRead = Int32(littleEndian: header.loadUnaligned(fromByteOffset: 0, as: Int32.self))
    let versionRead = Int32(littleEndian: header.loadUnaligned(fromByteOffset: 4, as: Int32.self))
    let count = Int32(littleEndian: header.loadUnaligned(fromByteOffset: 8, as: Int32.self))
    guard magicRead == magic else {
      throw SwiftletError("\(path): not a token shard (magic \(magicRead), expected \(magic))")
    }
    guard versionRead == version else {
      throw SwiftletError("\(path): unsupported token shard version \(versionRead) (expected \(version))")
    }
    let expected = headerBytes + Int(count) * 2
    guard count >= 0, fileSize == expected else {
      throw SwiftletError(
        "\(path): token shard is truncated or padded (header says \(count) tokens = \(expected) bytes, file has \(fileSize))"
      )
    }
    return Int(count)
  }

  /// The 1024-byte header for a shard of `count` tokens.
  public static func header(count: Int) -> [UInt8] {
    var ints = [Int32](repeating: 0, count: headerInts)
    ints[0] = magic.littleEndian
    ints[1] = version.littleEndian
    ints[2] = Int32(count).littleEndian
    return ints.withUnsafeBytes { Array($0) }
  }
}
