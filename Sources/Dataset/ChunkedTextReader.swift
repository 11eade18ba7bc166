import SwiftletCore

#if canImport(Glibc)
  import Glibc
#else
  import Darwin
#endif

/// Reads a text file in blocks and hands out segments cut at `SafeCut` positions, so encoding the
/// segments one by one gives exactly the encoding of the whole file with bounded memory.
///
/// Memory is about two blocks, unless the text has no safe cut for longer than that (a single
/// line of whitespace-free text longer than a block): the segment then grows until one appears.
final class ChunkedTextReader {
  let path: String
  /// The file's size when it is a regular file (for progress), else nil.
  let size: Int?
  private let descriptor: Int32
  private let blockBytes: Int

  /// Opens `path`; a missing, unreadable or folder path is a `SwiftletError`.
  init(path: String, blockBytes: Int) throws {
    self.path = path
    self.blockBytes = max(blockBytes, 64)
    var info = stat()
    guard stat(path, &info) == 0 else {
      throw SwiftletError("cannot read input \(path): \(String(cString: strerror(errno)))")
    }
    guard info.st_mode & S_IFMT != S_IFDIR else {
      throw SwiftletError("input \(path) is a folder, not a text file")
    }
    let descriptor = open(path, O_RDONLY)
    guard descriptor >= 0 else {
      throw SwiftletError("cannot read input \(path): \(String(cString: strerror(errno)))")
    }
    self.descriptor = descriptor
    self.size = info.st_mode & S_IFMT == S_IFREG ? Int(info.st_size) : nil
  }

  deinit { close(descriptor) }

  /// Calls `body` with consecutive segments covering the whole file, and `progress` with the
  /// bytes read so far after each block. Returns the file's length in bytes.
  @discardableResult
  func forEachSegment(
    progress: (Int) -> Void = { _ in }, _ body: (UnsafeBufferPointer<UInt8>) throws -> Void
  ) throws -> Int {
    var capacity = 2 * blockBytes
    var buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
    defer { buffer.deallocate() }
    var filled = 0
    var scanFloor = 0  // positions at or below this were already found not to be safe cuts
    var total = 0
    while true {
      if filled + blockBytes > capacity {
        capacity = 2 * (filled + blockBytes)
        let larger = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        larger.update(from: buffer, count: filled)
        buffer.deallocate()
        buffer = larger
      }
      let got = read(descriptor, buffer + filled, blockBytes)
      if got < 0 {
        if errno == EINTR { continue }
        throw SwiftletError("cannot read input \(path): \(String(cString: strerror(errno)))")
      }
      total += got
      progress(total)
      if got == 0 {
        if filled > 0 { try body(UnsafeBufferPointer(start: buffer, count: filled)) }
        return total
      }
      filled += got
      guard let cut = SafeCut.last(in: UnsafeBufferPointer(start: buffer, count: filled), after: scanFloor) else {
        // A rule-B position needs the next character complete: recheck the last few bytes.
        scanFloor = max(0, filled - 8)
        continue
      }
      try body(UnsafeBufferPointer(start: buffer, count: cut))
      memmove(buffer, buffer + cut, filled - cut)  // the regions may overlap
      filled -= cut
      scanFloor = max(0, filled - 8)
    }
  }
}
