import Foundation
import SwiftletCore

/// Writes one token shard atomically: tokens stream into `path.tmp-<pid>`, the header is patched
/// with the final count, the file is flushed, and only then renamed to `path`. A crash leaves no
/// partial shard under the final name.
public final class TokenShardWriter {
  public let path: String
  private let temporaryPath: String
  private let handle: FileHandle
  private var buffer: [UInt8] = []
  public private(set) var count = 0

  public init(path: String) throws {
    self.path = path
    self.temporaryPath = "\(path).tmp-\(getpid())"
    guard FileManager.default.createFile(atPath: temporaryPath, contents: Data(TokenShard.header(count: 0))) else {
      throw SwiftletError("cannot create \(temporaryPath): check that the folder exists and is writable")
    }
    guard let handle = FileHandle(forUpdatingAtPath: temporaryPath) else {
      throw SwiftletError("cannot open \(temporaryPath) for writing")
    }
    self.handle = handle
    try handle.seekToEnd()
    buffer.reserveCapacity(1 << 20)
  }

  /// Appends token ids, each of which must fit in 16 bits.
  public func append<S: Sequence>(_ tokens: S) throws where S.Element: BinaryInteger {
    for token in tokens {
      guard token >= 0, token <= 65535 else {
        throw SwiftletError("token id \(token) does not fit the shard format's uint16")
      }
      let value = UInt16(token).littleEndian
      buffer.append(UInt8(truncatingIfNeeded: value))
      buffer.append(UInt8(truncatingIfNeeded: value >> 8))
      count += 1
      if buffer.count >= 1 << 20 { try flushBuffer() }
    }
  }

  private func flushBuffer() throws {
    do {
      try handle.write(contentsOf: buffer)
    } catch {
      throw SwiftletError("cannot write \(temporaryPath): \(error.localizedDescription)")
    }
    buffer.removeAll(keepingCapacity: true)
  }

  /// Writes the header, syncs, and renames the shard into place.
  public func finish() throws {
    do {
      try flushBuffer()
      try handle.seek(toOffset: 0)
      try handle.write(contentsOf: TokenShard.header(count: count))
      try handle.synchronize()
      try handle.close()
    } catch {
      abandon()
      throw error as? SwiftletError ?? SwiftletError("cannot write \(temporaryPath): \(error.localizedDescription)")
    }
    guard rename(temporaryPath, path) == 0 else {
      abandon()
      throw SwiftletError("cannot rename \(temporaryPath) to \(path): \(String(cString: strerror(errno)))")
    }
  }

  /// Removes the temporary file (after an error).
  public func abandon() {
    try? handle.close()
    unlink(temporaryPath)
  }

  /// Writes `tokens` as a complete shard at `path`.
  public static func write<C: Collection>(_ tokens: C, to path: String) throws where C.Element: BinaryInteger {
    let writer = try TokenShardWriter(path: path)
    do {
      try writer.append(tokens)
      try writer.finish()
    } catch {
      writer.abandon()
      throw error
    }
  }
}
