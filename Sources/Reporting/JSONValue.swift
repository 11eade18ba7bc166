/// A parsed JSON value that keeps object members in file order.
///
/// Foundation's `JSONSerialization` loses key order and blurs numbers and booleans on Linux;
/// the report shows `report.json` generically (its writer evolves in parallel), so it needs the
/// file's own order and the exact text of each number.
enum JSONValue: Equatable {
  case null
  case bool(Bool)
  /// The value and its literal text as written (for showing exact figures).
  case number(Double, text: String)
  case string(String)
  case array([JSONValue])
  case object([JSONMember])

  /// The member named `key` of an object (the last one if the key repeats), else nil.
  subscript(key: String) -> JSONValue? {
    guard case .object(let members) = self else { return nil }
    return members.last(where: { $0.key == key })?.value
  }

  /// The number, if this is a finite number; nil for `null`, non-numbers and overflow.
  var finiteNumber: Double? {
    guard case .number(let value, _) = self, value.isFinite else { return nil }
    return value
  }

  /// The string, if this is a string.
  var stringValue: String? {
    guard case .string(let text) = self else { return nil }
    return text
  }

  /// The members, if this is an object.
  var members: [JSONMember]? {
    guard case .object(let members) = self else { return nil }
    return members
  }

  /// True for `null`, booleans, numbers and strings.
  var isScalar: Bool {
    switch self {
    case .null, .bool, .number, .string: return true
    case .array, .object: return false
    }
  }
}

/// One `"key": value` pair of a JSON object.
struct JSONMember: Equatable {
  var key: String
  var value: JSONValue
}
