import SwiftletCore

/// Reads a JSON object whose values are all integers (`{"key": 1, …}`), such as GPT-2's
/// `encoder.json`, giving each key as Unicode scalar values. Follows RFC 8259's string syntax:
/// escapes `\" \\ \/ \b \f \n \r \t \uXXXX`, with `\uD83D\uDE00`-style surrogate pairs.
struct JSONObjectScanner {
  private let bytes: [UInt8]
  private let path: String
  private var position = 0

  init(bytes: [UInt8], path: String) {
    self.bytes = bytes
    self.path = path
  }

  /// An error naming the file and the byte offset.
  func error(_ what: String) -> SwiftletError {
    SwiftletError("\(path): \(what) (near byte \(position))")
  }

  /// Calls `body(key, value)` for every entry, in file order.
  mutating func forEachEntry(_ body: ([UInt32], Int) throws -> Void) throws {
    skipWhitespace()
    try expect(UInt8(ascii: "{"))
    skipWhitespace()
    if peek() == UInt8(ascii: "}") { return }
    while true {
      skipWhitespace()
      let key = try string()
      skipWhitespace()
      try expect(UInt8(ascii: ":"))
      skipWhitespace()
      try body(key, try integer())
      skipWhitespace()
      if peek() == UInt8(ascii: ",") {
        position += 1
        continue
      }
      try expect(UInt8(ascii: "}"))
      skipWhitespace()
      guard position == bytes.count else { throw error("unexpected text after the object") }
      return
    }
  }

  private func peek() -> UInt8? { position < bytes.count ? bytes[position] : nil }

  private mutating func expect(_ byte: UInt8) throws {
    guard peek() == byte else { throw error("expected '\(Character(Unicode.Scalar(byte)))'") }
    position += 1
  }

  private mutating func skipWhitespace() {
    while let byte = peek(), byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { position += 1 }
  }

  private mutating func integer() throws -> Int {
    var negative = false
    if peek() == UInt8(ascii: "-") {
      negative = true
      position += 1
    }
    var value = 0
    var digits = 0
    while let byte = peek(), byte >= 0x30, byte <= 0x39, digits < 18 {
      value = value * 10 + Int(byte - 0x30)
      digits += 1
      position += 1
    }
    guard digits > 0 else { throw error("expected an integer") }
    return negative ? -value : value
  }

  private mutating func hexQuad() throws -> UInt32 {
    guard position + 4 <= bytes.count else { throw error("truncated \\u escape") }
    var value: UInt32 = 0
    for _ in 0..<4 {
      let byte = bytes[position]
      let digit: UInt8
      switch byte {
      case 0x30...0x39: digit = byte - 0x30
      case 0x41...0x46: digit = byte - 0x41 + 10
      case 0x61...0x66: digit = byte - 0x61 + 10
      default: throw error("bad \\u escape")
      }
      value = value << 4 | UInt32(digit)
      position += 1
    }
    return value
  }

  private mutating func string() throws -> [UInt32] {
    try expect(UInt8(ascii: "\""))
    var scalars: [UInt32] = []
    while true {
      guard let byte = peek() else { throw error("unterminated string") }
      position += 1
      switch byte {
      case UInt8(ascii: "\""):
        return scalars
      case UInt8(ascii: "\\"):
        guard let escaped = peek() else { throw error("unterminated escape") }
        position += 1
        switch escaped {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scalars.append(UInt32(escaped))
        case UInt8(ascii: "b"): scalars.append(0x08)
        case UInt8(ascii: "f"): scalars.append(0x0C)
        case UInt8(ascii: "n"): scalars.append(0x0A)
        case UInt8(ascii: "r"): scalars.append(0x0D)
        case UInt8(ascii: "t"): scalars.append(0x09)
        case UInt8(ascii: "u"):
          var value = try hexQuad()
          if (0xD800..<0xDC00).contains(value), bytes[position...].starts(with: [0x5C, 0x75]) {  // \u
            position += 2
            let low = try hexQuad()
            guard (0xDC00..<0xE000).contains(low) else { throw error("unpaired surrogate") }
            value = 0x10000 + (value - 0xD800) << 10 + (low - 0xDC00)
          }
          guard Unicode.Scalar(value) != nil else { throw error("unpaired surrogate") }
          scalars.append(value)
        default:
          throw error("bad escape")
        }
      case 0x00..<0x20:
        throw error("control character in a string")
      case 0x00..<0x80:
        scalars.append(UInt32(byte))
      default:
        // A multi-byte UTF-8 character: decode it with the pre-tokeniser's strict decoder.
        let start = position - 1
        guard let (value, length) = bytes.withUnsafeBufferPointer({ PreTokenizer.decodeMultibyte($0.baseAddress!, start, $0.count) })
        else { throw error("invalid UTF-8") }
        scalars.append(value)
        position = start + length
      }
    }
  }
}
