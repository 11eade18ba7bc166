import Foundation

@testable import Checkpointing

/// A fresh folder under the system temporary folder, removed when the value is released.
final class TemporaryFolder {
  let path: String

  init(_ label: String = "ckpt") {
    let base = URL(fileURLWithPath: NSTemporaryDirectory())
      .appendingPathComponent("swiftlet-\(label)-\(getpid())-\(UUID().uuidString.prefix(8))")
    try! FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
    path = base.path
  }

  deinit {
    try? FileManager.default.removeItem(atPath: path)
  }

  /// `path/name`.
  func file(_ name: String) -> String {
    URL(fileURLWithPath: path).appendingPathComponent(name).path
  }
}

/// Deterministic test data: a simple integer hash mapped to [-1, 1).
func testValues(count: Int, seed: UInt64) -> [Float] {
  (0..<count).map { index in
    var x = UInt64(index) &* 0x9E37_79B9_7F4A_7C15 &+ seed &* 0xBF58_476D_1CE4_E5B9
    x ^= x >> 31
    x = x &* 0x94D0_49BB_1331_11EB
    x ^= x >> 29
    return Float(x >> 40) / Float(1 << 23) - 1
  }
}

/// Flips every bit of the byte at `offset` of the file at `path`, then re-seals the whole-file
/// checksum (as if the damage happened before the file was sealed), so that the per-dataset
/// CRC-32 checks these tests are about are the ones that must catch it.
func flipByte(at offset: Int, in path: String) throws {
  try flipByteLeavingFileChecksum(at: offset, in: path)
  if (try? Data(contentsOf: URL(fileURLWithPath: path)).prefix(8)) == Data(FileChecksum.magic.utf8.prefix(8)) {
    try FileChecksum.seal(path)
  }
}

/// Flips every bit of the byte at `offset`, leaving the whole-file checksum stale.
func flipByteLeavingFileChecksum(at offset: Int, in path: String) throws {
  let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
  defer { try? handle.close() }
  try handle.seek(toOffset: UInt64(offset))
  let byte = try handle.read(upToCount: 1)![0]
  try handle.seek(toOffset: UInt64(offset))
  try handle.write(contentsOf: Data([byte ^ 0xFF]))
}
