import Foundation
import SwiftletCore

/// A CRC-32 of the whole checkpoint file, kept in HDF5's user block (the first 512 bytes, which
/// HDF5 and h5py skip), checked BEFORE HDF5 parses anything.
///
/// Why: the per-dataset CRCs only cover tensor data, and HDF5 1.10 can crash (abort, segfault)
/// inside `H5Fopen` on a file whose metadata is damaged — fuzzing found about one in four
/// metadata mutations did (Tests/CLITests/CheckpointFuzzTests). With this check a damaged
/// Swiftlet checkpoint is a one-line error and never reaches the HDF5 parser.
///
/// Header text: `SWIFTLET-FILE-CRC32 v1 crc=xxxxxxxx length=N\n` then zeros, where the CRC
/// (zlib's) covers the `N` bytes after the user block.
enum FileChecksum {
  static let userBlockBytes = 512
  static let magic = "SWIFTLET-FILE-CRC32 v1 "
  private static let blockBytes = 16 << 20

  /// Writes the header into the user block of the closed file at `path`.
  static func seal(_ path: String) throws {
    guard let handle = FileHandle(forUpdatingAtPath: path) else {
      throw SwiftletError("cannot reopen \(path) to write its checksum")
    }
    defer { try? handle.close() }
    let (crc, length) = try checksum(handle, path: path)
    var header = Array("\(magic)crc=\(CRC32.hex(crc)) length=\(length)\n".utf8)
    header += [UInt8](repeating: 0, count: userBlockBytes - header.count)
    try handle.seek(toOffset: 0)
    try handle.write(contentsOf: header)
  }

  /// Checks the file at `path`. Files that start with the HDF5 signature have no user block
  /// (not written by Swiftlet's writer) and are left to HDF5's own checks.
  static func verify(_ path: String) throws {
    guard let handle = FileHandle(forReadingAtPath: path) else { return }  // missing: HDF5File reports it
    defer { try? handle.close() }
    let head = [UInt8](try handle.read(upToCount: userBlockBytes) ?? Data())
    let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46]  // "\x89HDF"
    if head.starts(with: signature) { return }  // no user block: not sealed by Swiftlet
    if !head.starts(with: Array(magic.utf8)) {
      // Not sealed. If HDF5 data follows a user block, this is a Swiftlet file whose header is
      // damaged; otherwise leave it to HDF5's own "not an HDF5 file" check.
      try handle.seek(toOffset: UInt64(userBlockBytes))
      let next = [UInt8](try handle.read(upToCount: 4) ?? Data())
      guard next.starts(with: signature) else { return }
    }
    guard head.count == userBlockBytes, head.starts(with: Array(magic.utf8)),
      let end = head.firstIndex(of: 10)
    else {
      throw SwiftletError("\(path) is damaged or not a Swiftlet checkpoint (no valid checksum header)")
    }
    let fields = String(decoding: head[magic.utf8.count..<end], as: UTF8.self).split(separator: " ")
    guard fields.count == 2, fields[0].hasPrefix("crc="), fields[1].hasPrefix("length="),
      let stored = UInt32(fields[0].dropFirst(4).replacingOccurrences(of: "0x", with: ""), radix: 16),
      let length = Int(fields[1].dropFirst(7))
    else {
      throw SwiftletError("\(path) is damaged: its checksum header is unreadable")
    }
    let (crc, actualLength) = try checksum(handle, path: path)
    guard actualLength == length else {
      throw SwiftletError("\(path) is damaged: \(actualLength) bytes after the header, expected \(length) (truncated?)")
    }
    guard crc == stored else {
      throw SwiftletError(
        "\(path) is damaged: whole-file checksum mismatch (stored \(CRC32.hex(stored)), computed \(CRC32.hex(crc)))")
    }
  }

  /// CRC-32 and length of everything after the user block.
  private static func checksum(_ handle: FileHandle, path: String) throws -> (UInt32, Int) {
    try handle.seek(toOffset: UInt64(userBlockBytes))
    var crc: UInt32 = 0
    var length = 0
    while true {
      let block: Data
      do {
        block = try handle.read(upToCount: blockBytes) ?? Data()
      } catch {
        throw SwiftletError("cannot read \(path): \(error.localizedDescription)")
      }
      if block.isEmpty { break }
      crc = block.withUnsafeBytes { CRC32.checksum($0, continuing: crc) }
      length += block.count
    }
    return (crc, length)
  }
}
