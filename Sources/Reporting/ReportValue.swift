/// A value of `report.json` as the page's tables show it: every field the file holds, those
/// this version's `RunReport` does not know included (a newer or older writer's), so a field
/// added to the report appears on the page without a change here.
///
/// Decoded by JSONDecoder. Object members are sorted by key: the order `report.json` is
/// written in (JSONDecoder does not keep the file's order).
enum ReportValue: Equatable {
  case null
  case bool(Bool)
  case number(Double)
  case string(String)
  case array([ReportValue])
  case object([ReportMember])

  /// The members, if this is an object.
  var members: [ReportMember]? {
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

/// One `"key": value` pair of a `report.json` object.
struct ReportMember: Equatable {
  var key: String
  var value: ReportValue
}

extension ReportValue: Decodable {
  private struct Key: CodingKey {
    var stringValue: String
    init?(stringValue: String) { self.stringValue = stringValue }
    var intValue: Int? { nil }
    init?(intValue: Int) { nil }
  }

  init(from decoder: Decoder) throws {
    if let object = try? decoder.container(keyedBy: Key.self) {
      self = .object(
        try object.allKeys.sorted { $0.stringValue < $1.stringValue }.map { key in
          ReportMember(key: key.stringValue, value: try object.decode(ReportValue.self, forKey: key))
        })
    } else if var array = try? decoder.unkeyedContainer() {
      var elements: [ReportValue] = []
      while !array.isAtEnd { elements.append(try array.decode(ReportValue.self)) }
      self = .array(elements)
    } else {
      // JSONDecoder reads a number as Bool or a boolean as Double never, so the order is free.
      let scalar = try decoder.singleValueContainer()
      if scalar.decodeNil() {
        self = .null
      } else if let flag = try? scalar.decode(Bool.self) {
        self = .bool(flag)
      } else if let number = try? scalar.decode(Double.self) {
        self = .number(number)
      } else {
        self = .string(try scalar.decode(String.self))
      }
    }
  }
}
