import SwiftletCore

/// ISO 8601 instants as seconds since 1970-01-01T00:00:00Z, read and written without a
/// calendar library so that every rank and every test machine agrees to the second.
///
/// Accepted: `YYYY-MM-DDTHH:MM[:SS[.fff]]` (a space may replace the `T`) followed by a zone
/// designator, `Z` or `±HH:MM` (converted to UTC). A timestamp without a zone is refused: the
/// series and the clock are UTC, and a local time would shift every hour silently.
public enum UTCTimestamp {
  /// Seconds since the Unix epoch of `text`, or nil when it is not such a timestamp.
  public static func seconds(_ text: String) -> Double? {
    var scanner = Scanner(Array(text.trimmingSpaces.utf8))
    guard let year = scanner.digits(4), scanner.take("-"), let month = scanner.digits(2), scanner.take("-"),
      let day = scanner.digits(2), scanner.take("T") || scanner.take("t") || scanner.take(" "),
      let hour = scanner.digits(2), scanner.take(":"), let minute = scanner.digits(2)
    else { return nil }
    var second = 0.0
    if scanner.take(":") {
      guard let whole = scanner.digits(2) else { return nil }
      second = Double(whole)
      if scanner.take(".") {
        var scale = 0.1
        var any = false
        while let digit = scanner.digits(1) {
          second += Double(digit) * scale
          scale /= 10
          any = true
        }
        if !any { return nil }
      }
    }
    guard let offset = scanner.zoneOffsetSeconds(), scanner.atEnd else { return nil }
    guard (1...12).contains(month), (1...daysInMonth(year, month)).contains(day), hour < 24, minute < 60,
      second < 60
    else { return nil }
    let days = daysFromCivil(year: year, month: month, day: day)
    return Double(days * 86_400 + hour * 3_600 + minute * 60) + second - Double(offset)
  }

  /// As `seconds(_:)`, with a one-line error naming `what` for anything else.
  public static func parse(_ text: String, what: String) throws -> Double {
    guard let value = seconds(text) else {
      throw SwiftletError(
        "\(what) '\(text)' is not an ISO 8601 UTC timestamp like 2024-03-01T14:00:00Z")
    }
    return value
  }

  /// `2024-03-01T14:00:00Z`; fractions of a second are kept to the millisecond when present.
  public static func string(_ seconds: Double) -> String {
    let milliseconds = Int((seconds * 1000).rounded(.down))
    var days = milliseconds / 86_400_000
    var rest = milliseconds % 86_400_000
    if rest < 0 {
      rest += 86_400_000
      days -= 1
    }
    let (year, month, day) = civilFromDays(days)
    func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
    var text = "\(year)-\(two(month))-\(two(day))T\(two(rest / 3_600_000)):\(two(rest / 60_000 % 60))"
    text += ":\(two(rest / 1000 % 60))"
    if rest % 1000 != 0 {
      let fraction = String(rest % 1000 + 1000).dropFirst()
      text += "." + fraction
    }
    return text + "Z"
  }

  // Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant, "chrono-Compatible
  // Low-Level Date Algorithms", days_from_civil / civil_from_days).
  static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yearOfEra = y - era * 400
    let dayOfYear = (153 * ((month + 9) % 12) + 2) / 5 + day - 1
    let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
    return era * 146_097 + dayOfEra - 719_468
  }

  static func civilFromDays(_ days: Int) -> (year: Int, month: Int, day: Int) {
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let dayOfEra = z - era * 146_097
    let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
    let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
    let shifted = (5 * dayOfYear + 2) / 153
    let day = dayOfYear - (153 * shifted + 2) / 5 + 1
    let month = shifted < 10 ? shifted + 3 : shifted - 9
    return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
  }

  static func daysInMonth(_ year: Int, _ month: Int) -> Int {
    switch month {
    case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
    case 4, 6, 9, 11: return 30
    default: return 31
    }
  }

  /// A cursor over ASCII bytes.
  private struct Scanner {
    let bytes: [UInt8]
    var position = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { position == bytes.count }

    mutating func take(_ character: Character) -> Bool {
      guard position < bytes.count, bytes[position] == character.asciiValue else { return false }
      position += 1
      return true
    }

    /// Exactly `count` decimal digits as a number.
    mutating func digits(_ count: Int) -> Int? {
      guard position + count <= bytes.count else { return nil }
      var value = 0
      for byte in bytes[position..<position + count] {
        guard (48...57).contains(byte) else { return nil }
        value = value * 10 + Int(byte - 48)
      }
      position += count
      return value
    }

    /// `Z` → 0, `±HH:MM` (or `±HHMM`) → its offset east of UTC; nil when missing or malformed.
    mutating func zoneOffsetSeconds() -> Int? {
      if take("Z") || take("z") { return 0 }
      let sign: Int
      if take("+") { sign = 1 } else if take("-") { sign = -1 } else { return nil }
      guard let hours = digits(2) else { return nil }
      _ = take(":")
      guard let minutes = digits(2), hours < 24, minutes < 60 else { return nil }
      return sign * (hours * 3600 + minutes * 60)
    }
  }
}

extension String {
  fileprivate var trimmingSpaces: Substring {
    var slice = Substring(self)
    while let first = slice.first, first.isWhitespace { slice = slice.dropFirst() }
    while let last = slice.last, last.isWhitespace { slice = slice.dropLast() }
    return slice
  }
}
