/// GPT-2's pre-tokenisation, written out by hand over UTF-8 bytes.
///
/// GPT-2 (and tiktoken's `gpt2` encoding) first cuts text into pieces with the pattern
///
///     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
///
/// matched leftmost-first, repeatedly, from the end of the previous match. Every character is a
/// letter, a number, whitespace or "other" (`ScalarClass`), so some alternative always matches and
/// the pieces tile the text. Read alternative by alternative, a match starting at position i is:
/// 1. `'` followed by `s`, `t`, `m`, `d`, `re`, `ve` or `ll` (lowercase ASCII only): that contraction;
/// 2. an optional single U+0020 space, then the longest run of one class among letter, number and
///    other, the class being that of the first character after the optional space;
/// 3. otherwise a whitespace run W (the longest, starting at i). `\s+(?!\S)` backtracks until the
///    next character is not non-whitespace: if W reaches the end of the text it is the whole match;
///    if W has two or more characters it gives back its last one (which then starts the next
///    match, joining a following word when it is a space); a single whitespace character before
///    non-whitespace fails the lookahead and `\s+` takes it alone.
///
/// Invalid UTF-8 (only reachable through `GPT2Tokenizer.encode(bytes:)`): a byte that is not part
/// of a well-formed UTF-8 sequence (Unicode Table 3-7) is a piece of its own, and each maximal
/// well-formed stretch between such bytes is pre-tokenised as if it were a whole text. So an
/// invalid byte acts like the end of the text for the lookahead in rule 3.
struct PreTokenizer {
  /// Raw class codes: `ScalarClass` raw values plus `invalid` for a stray byte.
  static let invalid: UInt8 = 4
  private static let other = ScalarClass.other.rawValue
  private static let whitespace = ScalarClass.whitespace.rawValue

  private let base: UnsafePointer<UInt8>
  private let end: Int
  private let classes: UnsafePointer<UInt8>
  private(set) var position: Int

  /// Pieces of `bytes` (which must stay alive while this is used).
  init(_ bytes: UnsafeBufferPointer<UInt8>) {
    // An empty buffer may have no base address; any non-null pointer will do as nothing is read.
    self.base = bytes.baseAddress ?? UnsafePointer(ScalarClass.basicMultilingualPlane)
    self.end = bytes.count
    self.classes = ScalarClass.basicMultilingualPlane
    self.position = 0
  }

  /// The byte range of the next piece, or nil at the end.
  @inline(__always)
  mutating func next() -> Range<Int>? {
    let start = position
    guard start < end else { return nil }
    let first = base[start]

    // 1. Contractions.
    if first == 0x27, start + 1 < end {
      let second = base[start + 1]
      if second == 0x73 || second == 0x74 || second == 0x6D || second == 0x64 {  // s t m d
        position = start + 2
        return start..<position
      }
      if start + 2 < end {
        let third = base[start + 2]
        if (second == 0x72 && third == 0x65) || (second == 0x76 && third == 0x65) || (second == 0x6C && third == 0x6C) {
          position = start + 3  // re ve ll
          return start..<position
        }
      }
    }

    var (runClass, length) = classify(at: start)
    if runClass == PreTokenizer.invalid {
      position = start + 1
      return start..<position
    }
    var runStart = start
    // 2. The optional leading space joins a following letter, number or other run.
    if first == 0x20, start + 1 < end {
      let (nextClass, nextLength) = classify(at: start + 1)
      if nextClass < PreTokenizer.whitespace {
        runClass = nextClass
        runStart = start + 1
        length = nextLength
      }
    }
    if runClass != PreTokenizer.whitespace {
      var p = runStart + length
      while p < end {
        let byte = base[p]
        if byte < 0x80 {
          if classes[Int(byte)] != runClass { break }
          p += 1
        } else {
          let (nextClass, nextLength) = classify(at: p)
          if nextClass != runClass { break }
          p += nextLength
        }
      }
      position = p
      return start..<p
    }

    // 3. Whitespace: `\s+(?!\S)`, else `\s+`.
    var p = start + length
    var lastStart = start
    var count = 1
    var stoppedByText = false
    while p < end {
      let (nextClass, nextLength) = classify(at: p)
      if nextClass != PreTokenizer.whitespace {
        stoppedByText = nextClass != PreTokenizer.invalid
        break
      }
      lastStart = p
      p += nextLength
      count += 1
    }
    if stoppedByText && count >= 2 { p = lastStart }
    position = p
    return start..<p
  }

  /// The raw class and byte length of the scalar starting at `i`; `(invalid, 1)` for a byte that
  /// does not start a well-formed UTF-8 sequence.
  @inline(__always)
  private func classify(at i: Int) -> (UInt8, Int) {
    let lead = base[i]
    if lead < 0x80 { return (classes[Int(lead)], 1) }
    guard let (value, length) = PreTokenizer.decodeScalar(base, i, end) else { return (PreTokenizer.invalid, 1) }
    if value < 0x10000 { return (classes[Int(value)], length) }
    return (ScalarClass.classify(Unicode.Scalar(value)!).rawValue, length)
  }

  /// Decodes the well-formed UTF-8 sequence starting at `i` (Unicode Table 3-7), or returns nil
  /// when the bytes there are not one.
  @inline(__always)
  static func decodeScalar(_ base: UnsafePointer<UInt8>, _ i: Int, _ end: Int) -> (UInt32, Int)? {
    let lead = base[i]
    @inline(__always) func continuation(_ k: Int, _ low: UInt8 = 0x80, _ high: UInt8 = 0xBF) -> UInt32? {
      guard i + k < end else { return nil }
      let byte = base[i + k]
      return byte >= low && byte <= high ? UInt32(byte & 0x3F) : nil
    }
    switch lead {
    case 0x00...0x7F:
      return (UInt32(lead), 1)
    case 0xC2...0xDF:
      guard let c1 = continuation(1) else { return nil }
      return (UInt32(lead & 0x1F) << 6 | c1, 2)
    case 0xE0...0xEF:
      let low: UInt8 = lead == 0xE0 ? 0xA0 : 0x80
      let high: UInt8 = lead == 0xED ? 0x9F : 0xBF
      guard let c1 = continuation(1, low, high), let c2 = continuation(2) else { return nil }
      return (UInt32(lead & 0x0F) << 12 | c1 << 6 | c2, 3)
    case 0xF0...0xF4:
      let low: UInt8 = lead == 0xF0 ? 0x90 : 0x80
      let high: UInt8 = lead == 0xF4 ? 0x8F : 0xBF
      guard let c1 = continuation(1, low, high), let c2 = continuation(2), let c3 = continuation(3) else {
        return nil
      }
      return (UInt32(lead & 0x07) << 18 | c1 << 12 | c2 << 6 | c3, 4)
    default:
      return nil
    }
  }
}
