import SwiftletCore

/// GPT-2's reversible byte ↔ character mapping, in which `encoder.json` and `vocab.bpe` spell
/// their tokens.
///
/// OpenAI's files store every token as text, so each of the 256 byte values is given a printable
/// Unicode character (Radford et al. 2019, released `encoder.py`, function `bytes_to_unicode`):
/// the 188 bytes that are already printable Latin-1 characters (`!`…`~`, `¡`…`¬`, `®`…`ÿ`) stand
/// for themselves, and the other 68 bytes (controls, space, DEL, NBSP, soft hyphen), in increasing
/// byte order, take U+0100, U+0101, … in turn. So the space byte 0x20 is `Ġ` (U+0120) and the
/// newline 0x0A is `Ċ` (U+010A).
enum ByteLevelAlphabet {
  /// `scalarForByte[b]` is the character that spells byte `b`.
  static let scalarForByte: [UInt32] = {
    var table = [UInt32](repeating: 0, count: 256)
    var next: UInt32 = 256
    for byte in 0..<256 {
      if standsForItself(UInt8(byte)) {
        table[byte] = UInt32(byte)
      } else {
        table[byte] = next
        next += 1
      }
    }
    return table
  }()

  /// `byteForScalar[c]` is the byte that character `c` spells, or -1 (the alphabet ends at U+0143).
  static let byteForScalar: [Int16] = {
    var inverse = [Int16](repeating: -1, count: 0x144)
    for byte in 0..<256 { inverse[Int(scalarForByte[byte])] = Int16(byte) }
    return inverse
  }()

  /// Whether a byte is a printable Latin-1 character that spells itself.
  static func standsForItself(_ byte: UInt8) -> Bool {
    (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
  }

  /// The bytes that a token spelled by these scalar values stands for.
  static func bytes(ofScalars scalars: [UInt32], file: String) throws -> [UInt8] {
    var result: [UInt8] = []
    result.reserveCapacity(scalars.count)
    for value in scalars {
      let byte = value < 0x144 ? byteForScalar[Int(value)] : -1
      guard byte >= 0 else {
        throw SwiftletError(
          "\(file): a token has character U+\(String(value, radix: 16, uppercase: true)), outside GPT-2's byte alphabet"
        )
      }
      result.append(UInt8(byte))
    }
    return result
  }

  /// The bytes that a token spelled in UTF-8 (as in `vocab.bpe`) stands for.
  static func bytes(ofUTF8 utf8: ArraySlice<UInt8>, file: String) throws -> [UInt8] {
    guard let text = String(validating: utf8, as: UTF8.self) else { throw SwiftletError("\(file): not valid UTF-8") }
    return try bytes(ofScalars: text.unicodeScalars.map(\.value), file: file)
  }
}
