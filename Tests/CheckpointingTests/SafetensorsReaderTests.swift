import Checkpointing
import Foundation
import SwiftletCore
import Testing

/// The safetensors reader on hand-made files: F16 and BF16 widen to float32 exactly (normal,
/// subnormal, signed zero, infinity), and bad headers are one-line errors.
@Suite("safetensors reader")
struct SafetensorsReaderTests {
  /// A file of `tensors` (name, dtype, shape, raw little-endian bytes) in the given order.
  func write(_ tensors: [(String, String, [Int], [UInt8])], to path: String) throws {
    var header: [String: Any] = [:]
    var data: [UInt8] = []
    for (name, dtype, shape, bytes) in tensors {
      header[name] = ["dtype": dtype, "shape": shape, "data_offsets": [data.count, data.count + bytes.count]]
      data += bytes
    }
    let json = try JSONSerialization.data(withJSONObject: header)
    var file = Data()
    withUnsafeBytes(of: UInt64(json.count).littleEndian) { file.append(contentsOf: $0) }
    file.append(json)
    file.append(contentsOf: data)
    try file.write(to: URL(fileURLWithPath: path))
  }

  func littleEndian(_ values: [UInt16]) -> [UInt8] { values.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] } }

  @Test func halfAndBFloat16WidenExactly() throws {
    let folder = TemporaryFolder()
    let path = folder.file("m.safetensors")
    // f16: 1.0, -2.5, smallest subnormal 2^-24, largest 65504, -0, +inf.
    let half: [UInt16] = [0x3C00, 0xC100, 0x0001, 0x7BFF, 0x8000, 0x7C00]
    // bf16: the top 16 bits of 1.0, -3.0, 2^-133 (a float32 subnormal), +inf.
    let brain: [UInt16] = [0x3F80, 0xC040, 0x0001, 0x7F80]
    let single: [Float] = [0.1, -7.25e-12]
    try write(
      [
        ("h", "F16", [2, 3], littleEndian(half)), ("b", "BF16", [4], littleEndian(brain)),
        ("s", "F32", [2], single.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian) { Array($0) } }),
      ], to: path)
    let file = try SafetensorsFile(path: path)
    #expect(file.entries["h"]?.shape == [2, 3] && file.entries["b"]?.dtype == .bf16)
    var out = [Float](repeating: 0, count: 6)
    try out.withUnsafeMutableBufferPointer { try file.read("h", into: $0) }
    #expect(out.map(\.bitPattern) == [1.0, -2.5, 0x1p-24, 65504, -0.0, .infinity].map { Float($0).bitPattern })
    var b = [Float](repeating: 0, count: 4)
    try b.withUnsafeMutableBufferPointer { try file.read("b", into: $0) }
    #expect(b.map(\.bitPattern) == [0x3F80_0000, 0xC040_0000, 0x0001_0000, 0x7F80_0000])
    var s = [Float](repeating: 0, count: 2)
    try s.withUnsafeMutableBufferPointer { try file.read("s", into: $0) }
    #expect(s == single)
  }

  @Test func badFilesAreOneLineErrors() throws {
    let folder = TemporaryFolder()
    let path = folder.file("bad.safetensors")
    try write([("x", "F64", [1], [UInt8](repeating: 0, count: 8))], to: path)
    let dtype = #expect(throws: SwiftletError.self) { try SafetensorsFile(path: path) }
    #expect(dtype?.message.contains("dtype F64") == true)
    try write([("x", "F32", [3], [UInt8](repeating: 0, count: 8))], to: path)
    let size = #expect(throws: SwiftletError.self) { try SafetensorsFile(path: path) }
    #expect(size?.message.contains("needs 12 bytes") == true)
    try Data([1, 2, 3]).write(to: URL(fileURLWithPath: path))
    let short = #expect(throws: SwiftletError.self) { try SafetensorsFile(path: path) }
    #expect(short?.message.contains("truncated") == true)
  }
}
