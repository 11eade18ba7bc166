import SwiftletCore

#if canImport(Glibc)
  import Glibc
#endif

/// A file the importers (`SafetensorsFile`, `LlmcCheckpointFile`) read at known byte offsets
/// with `pread`, never whole; closed when released. Every failure is a one-line error naming it.
final class ReadOnlyFile {
  let path: String
  /// The file's length in bytes.
  let size: Int
  private let descriptor: Int32

  /// Opens `path`, which must hold at least `minimumSize` bytes: the `header` (in words) that
  /// every file of its format starts with; a shorter file is truncated.
  init(path: String, minimumSize: Int, header: String) throws {
    self.path = path
    descriptor = open(path, O_RDONLY)
    guard descriptor >= 0 else { throw SwiftletError("cannot open \(path): \(DurableFiles.lastError())") }
    size = Int(lseek(descriptor, 0, SEEK_END))
    guard size >= minimumSize else {  // every property is set: deinit closes the file
      throw SwiftletError("\(path) is truncated: \(size) bytes, shorter than \(header)")
    }
  }

  deinit { close(descriptor) }

  /// The `count` bytes at byte `offset`.
  func read(count: Int, at offset: Int) throws -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: count)
    try bytes.withUnsafeMutableBytes { try read(into: $0.baseAddress!, count: count, at: offset) }
    return bytes
  }

  /// Reads the `count` bytes at byte `offset` into `destination`; an early end of file is an error.
  func read(into destination: UnsafeMutableRawPointer, count: Int, at offset: Int) throws {
    var done = 0
    while done < count {
      let got = pread(descriptor, destination + done, count - done, off_t(offset + done))
      if got < 0 && errno == EINTR { continue }
      guard got > 0 else {
        throw SwiftletError(
          "cannot read \(path) at byte \(offset + done): \(got == 0 ? "unexpected end of file" : DurableFiles.lastError())"
        )
      }
      done += got
    }
  }

  /// Reads `count` elements of `dtype` at byte `offset` and widens them to float32 into
  /// `destination`, through a scratch copy of the stored bytes.
  func read(
    _ dtype: SafetensorsDType, count: Int, at offset: Int, into destination: UnsafeMutablePointer<Float>
  ) throws {
    let raw = UnsafeMutableRawPointer.allocate(byteCount: max(1, count * dtype.size), alignment: 8)
    defer { raw.deallocate() }
    try read(into: raw, count: count * dtype.size, at: offset)
    dtype.widen(UnsafeRawPointer(raw), count: count, into: destination)
  }
}
