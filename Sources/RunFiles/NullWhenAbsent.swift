/// An optional field of a run file written as `null` when it has no value, where synthesized
/// `Codable` would leave its key out. NaN and infinities (a diverged step) are written as `null`
/// too: JSON has no such numbers. Reading is lenient: a missing key, `null`, a value of another
/// type or a non-finite number reads as nil, so a bad value loses that field only, not its record.
@propertyWrapper public struct NullWhenAbsent<Value: Codable & Equatable & Sendable>: Codable, Equatable, Sendable {
  public var wrappedValue: Value?

  public init(wrappedValue: Value?) { self.wrappedValue = wrappedValue }

  public init(from decoder: Decoder) throws {
    wrappedValue = (try? decoder.singleValueContainer().decode(Value.self)).flatMap(Self.writable)
  }

  public func encode(to encoder: Encoder) throws {
    var container = encoder.singleValueContainer()
    if let value = wrappedValue.flatMap(Self.writable) {
      try container.encode(value)
    } else {
      try container.encodeNil()
    }
  }

  /// `value`, or nil for a number JSON cannot hold.
  private static func writable(_ value: Value) -> Value? {
    (value as? any FloatingPoint)?.isFinite == false ? nil : value
  }
}

/// As `NullWhenAbsent`, except that nil leaves the key out: a field only some runs have.
@propertyWrapper public struct OmittedWhenAbsent<Value: Codable & Equatable & Sendable>: Codable, Equatable, Sendable {
  public var wrappedValue: Value?

  public init(wrappedValue: Value?) { self.wrappedValue = wrappedValue }

  public init(from decoder: Decoder) throws { wrappedValue = try NullWhenAbsent(from: decoder).wrappedValue }

  public func encode(to encoder: Encoder) throws { try NullWhenAbsent(wrappedValue: wrappedValue).encode(to: encoder) }
}

extension KeyedEncodingContainer {
  /// Writes nothing for a nil `OmittedWhenAbsent` (synthesized `encode(to:)` calls this).
  public mutating func encode<Value>(_ field: OmittedWhenAbsent<Value>, forKey key: Key) throws {
    if field.wrappedValue != nil { try encode(NullWhenAbsent(wrappedValue: field.wrappedValue), forKey: key) }
  }
}

extension KeyedDecodingContainer {
  /// A missing key is nil (synthesized `init(from:)` calls this).
  public func decode<Value>(_ type: NullWhenAbsent<Value>.Type, forKey key: Key) throws -> NullWhenAbsent<Value> {
    try decodeIfPresent(type, forKey: key) ?? NullWhenAbsent(wrappedValue: nil)
  }

  /// A missing key is nil (synthesized `init(from:)` calls this).
  public func decode<Value>(_ type: OmittedWhenAbsent<Value>.Type, forKey key: Key) throws -> OmittedWhenAbsent<Value> {
    try decodeIfPresent(type, forKey: key) ?? OmittedWhenAbsent(wrappedValue: nil)
  }
}
