/// The character classes of GPT-2's pre-tokenisation pattern, exactly as tiktoken's regex engine
/// sees them.
///
/// tiktoken compiles the pattern with Rust's `fancy-regex`/`regex` crates in Unicode mode, where
/// `\p{L}` is general category L (Lu, Ll, Lt, Lm, Lo), `\p{N}` is N (Nd, Nl, No) and `\s` is the
/// Unicode `White_Space` property (25 scalars: U+0009–U+000D, U+0020, U+0085, U+00A0, U+1680,
/// U+2000–U+200A, U+2028, U+2029, U+202F, U+205F, U+3000). Note that `\s` is *not* Python's
/// `str.isspace`: U+001C–U+001F are "other" here. Everything else (punctuation, symbols, combining
/// marks, controls, unassigned scalars) is "other", the class `[^\s\p{L}\p{N}]`.
///
/// The regex crate's tables are Unicode 16.0 (checked against tiktoken 0.14.0 over every scalar,
/// see `Tests/Reference/make_tokenizer_fixture.py`). Swift's own tables may be newer, so a scalar
/// that Swift knows as a letter or number but that was assigned after Unicode 16.0 counts as
/// unassigned, that is "other", as it does in tiktoken.
enum ScalarClass: UInt8 {
  case other = 0
  case letter = 1
  case number = 2
  case whitespace = 3

  /// The Unicode version of the tables behind tiktoken's `\p{L}` and `\p{N}`.
  static let regexUnicodeVersion = (major: 16, minor: 0)

  /// Raw classes of the Basic Multilingual Plane, computed once (64 KiB, a few milliseconds) so
  /// that the pre-tokeniser's hot loop costs one table load per character instead of a Unicode
  /// property query. Never freed: it lives as long as the process.
  nonisolated(unsafe) static let basicMultilingualPlane: UnsafePointer<UInt8> = {
    let table = UnsafeMutablePointer<UInt8>.allocate(capacity: 0x10000)
    for value in 0..<0x10000 {
      // Surrogates never come out of a UTF-8 decoder; give them a harmless class.
      table[value] = Unicode.Scalar(UInt32(value)).map { classify($0).rawValue } ?? ScalarClass.other.rawValue
    }
    return UnsafePointer(table)
  }()

  /// The class of any valid scalar value.
  @inline(__always)
  static func of(_ value: UInt32) -> ScalarClass {
    if value < 0x10000 { return ScalarClass(rawValue: basicMultilingualPlane[Int(value)])! }
    return classify(Unicode.Scalar(value)!)
  }

  /// The class from Unicode properties.
  static func classify(_ scalar: Unicode.Scalar) -> ScalarClass {
    let properties = scalar.properties
    if properties.isWhitespace { return .whitespace }
    let candidate: ScalarClass
    switch properties.generalCategory {
    case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
      candidate = .letter
    case .decimalNumber, .letterNumber, .otherNumber:
      candidate = .number
    default:
      return .other
    }
    if let age = properties.age,
      (age.major, age.minor) > (regexUnicodeVersion.major, regexUnicodeVersion.minor)
    {
      return .other
    }
    return candidate
  }
}
