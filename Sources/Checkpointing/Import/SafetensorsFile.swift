import Foundation
import SwiftletCore

/// A read-only safetensors file, read tensor by tensor (never copied whole).
///
/// Format (huggingface/safetensors): an 8-byte little-endian header length N, N bytes of UTF-8
/// JSON `{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {…}}`, then
/// the raw little-endian data; offsets are relative to the end of the header.
///
/// Opening parses only the header and checks it strictly, each failure a one-line error: a file
/// shorter than its header, a header length past the end of the file or above 100 MB (the
/// format's own limit), JSON that is not an object of entries, a dtype other than F32, F16 and
/// BF16, offsets outside the data or overlapping another tensor, and a shape whose element
/// count disagrees with its byte range. `read(_:into:)` then `pread`s one tensor and widens it
/// to float32, so memory is the caller's buffer plus one tensor of 16-bit data at most.
public final class SafetensorsFile {
  /// One tensor's header entry.
  public struct Entry: Sendable {
    public var name: String
    public var dtype: SafetensorsDType
    public var shape: [Int]
    /// Byte range in the file (absolute, header included).
    public var bytes: Range<Int>
    public var elementCount: Int { shape.reduce(1, *) }
  }

  /// The largest header accepted (safetensors' own limit).
  public static let maximumHeaderBytes = 100_000_000

  public let path: String
  /// Entries by tensor name.
  public let entries: [String: Entry]
  private let file: ReadOnlyFile

  /// Opens `path` and validates its header.
  public init(path: String) throws {
    self.path = path
    file = try ReadOnlyFile(path: path, minimumSize: 8, header: "the 8-byte safetensors header length")
    let size = file.size
    let lengthBytes = try file.read(count: 8, at: 0)
    let length = lengthBytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
    guard length <= UInt64(SafetensorsFile.maximumHeaderBytes) else {
      throw SwiftletError(
        "\(path) is not a valid safetensors file: header length \(length) bytes is absurdly large (limit \(SafetensorsFile.maximumHeaderBytes))"
      )
    }
    guard Int(length) <= size - 8 else {
      throw SwiftletError(
        "\(path) is truncated or not safetensors: header length \(length) runs past the end of the \(size)-byte file")
    }
    let header = try file.read(count: Int(length), at: 8)
    entries = try SafetensorsHeader.parse(header, dataStart: 8 + Int(length), fileSize: size, path: path)
  }

  /// Reads tensor `name` into `buffer` (exactly its element count), converting to float32.
  public func read(_ name: String, into buffer: UnsafeMutableBufferPointer<Float>) throws {
    guard let entry = entries[name] else { throw SwiftletError("\(path) has no tensor '\(name)'") }
    guard buffer.count == entry.elementCount else {
      throw SwiftletError("\(path): tensor '\(name)' has \(entry.elementCount) elements, \(buffer.count) expected")
    }
    if entry.dtype == .f32 {
      // Read straight into the destination; little-endian hosts need no conversion.
      try file.read(
        into: UnsafeMutableRawPointer(buffer.baseAddress!), count: entry.bytes.count, at: entry.bytes.lowerBound)
      #if _endian(big)
        for i in 0..<buffer.count { buffer[i] = Float(bitPattern: UInt32(littleEndian: buffer[i].bitPattern)) }
      #endif
      return
    }
    try file.read(entry.dtype, count: entry.elementCount, at: entry.bytes.lowerBound, into: buffer.baseAddress!)
  }
}
