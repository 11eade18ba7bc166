/// The safetensors element types Swiftlet imports, and their conversion to float32.
///
/// F16 is IEEE 754 binary16; BF16 is the upper half of a float32 (so widening is a shift and
/// exact). Both widen to float32 without rounding, so an import is exact for all three.
public enum SafetensorsDType: String, Sendable, CaseIterable {
  case f32 = "F32"
  case f16 = "F16"
  case bf16 = "BF16"

  /// Bytes per element.
  public var size: Int { self == .f32 ? 4 : 2 }

  /// Converts `count` little-endian elements at `source` into `destination`.
  func widen(_ source: UnsafeRawPointer, count: Int, into destination: UnsafeMutablePointer<Float>) {
    switch self {
    case .f32:
      for i in 0..<count {
        destination[i] = Float(
          bitPattern: UInt32(littleEndian: source.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
      }
    case .f16:
      for i in 0..<count {
        let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
        destination[i] = Float(Float16(bitPattern: bits))
      }
    case .bf16:
      for i in 0..<count {
        let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
        destination[i] = Float(bitPattern: UInt32(bits) << 16)
      }
    }
  }
}
