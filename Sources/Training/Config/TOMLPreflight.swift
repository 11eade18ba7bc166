import SwiftletCore

/// A structural check of config text before it reaches the TOML parser.
///
/// toml++ (inside TOMLKit) asserts instead of reporting an error on some malformed keys and table
/// headers — `[.data]` aborts the process — which fuzzing found (Tests/TrainingTests/FuzzTests).
/// Swiftlet configs only need `[section]` headers and `key = scalar` lines, so every header and
/// key is checked here first and a bad one is a one-line error naming the line.
enum TOMLPreflight {
  static func check(_ text: String, source: String) throws {
    if text.contains("\"\"\"") || text.contains("'''") {
      throw SwiftletError("\(source): multi-line strings are not supported in Swiftlet configs")
    }
    for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      let line = rawLine.drop { $0 == " " || $0 == "\t" }
      guard let first = line.first, first != "#", first != "\r" else { continue }
      let where_ = "\(source): invalid TOML at line \(index + 1)"
      if first == "[" {
        guard !line.hasPrefix("[[") else {
          throw SwiftletError("\(where_): arrays of tables are not used in Swiftlet configs")
        }
        guard let close = line.firstIndex(of: "]") else { throw SwiftletError("\(where_): table header without ']'") }
        let key = line[line.index(after: line.startIndex)..<close]
        guard isDottedKey(key) else { throw SwiftletError("\(where_): invalid table name '\(key)'") }
        let rest = line[line.index(after: close)...].drop { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard rest.isEmpty || rest.first == "#" else {
          throw SwiftletError("\(where_): unexpected text after the table header")
        }
      } else {
        guard let equals = line.firstIndex(of: "=") else { throw SwiftletError("\(where_): expected 'key = value'") }
        let key = line[..<equals]
        guard isDottedKey(key) else { throw SwiftletError("\(where_): invalid key '\(key.trimmingSpaces)'") }
      }
    }
  }

  /// Dot-separated segments, each a non-empty bare key (A–Z a–z 0–9 _ -) or a quoted string
  /// without quotes or backslashes inside, with optional blanks around segments.
  static func isDottedKey(_ key: Substring) -> Bool {
    let segments = key.split(separator: ".", omittingEmptySubsequences: false)
    guard !segments.isEmpty else { return false }
    for segment in segments {
      let s = segment.trimmingSpaces
      guard !s.isEmpty else { return false }
      if let quote = s.first, quote == "\"" || quote == "'" {
        guard s.count >= 2, s.last == quote,
          !s.dropFirst().dropLast().contains(where: { $0 == "\"" || $0 == "'" || $0 == "\\" })
        else { return false }
      } else if !s.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) {
        return false
      }
    }
    return true
  }
}

extension Substring {
  fileprivate var trimmingSpaces: Substring {
    var slice = self
    while slice.first == " " || slice.first == "\t" { slice = slice.dropFirst() }
    while slice.last == " " || slice.last == "\t" || slice.last == "\r" { slice = slice.dropLast() }
    return slice
  }
}
