/// Metrics may be NaN or infinite (a diverged step); JSON has no such numbers. They are written
/// as `null` and read back as missing, like a value that was never written.
extension KeyedEncodingContainer {
  /// Writes `value`, or `null` when it is nil, NaN or infinite.
  mutating func encodeFinite(_ value: Double?, forKey key: Key) throws {
    if let value, value.isFinite {
      try encode(value, forKey: key)
    } else {
      try encodeNil(forKey: key)
    }
  }
}

extension KeyedDecodingContainer {
  /// The number at `key`; nil when it is missing, `null`, not a number or not finite. A bad
  /// value loses that point only, not its whole line.
  func decodeFinite(forKey key: Key) -> Double? {
    guard let value = try? decodeIfPresent(Double.self, forKey: key), value.isFinite else {
      return nil
    }
    return value
  }

  /// The whole number at `key`; nil when it is missing, `null` or not a whole number.
  func decodeCount(forKey key: Key) -> Int? {
    try? decodeIfPresent(Int.self, forKey: key)
  }
}
