import Foundation

/// How the run directory's JSON files are written and read: by JSONEncoder and JSONDecoder with
/// the record types of this module.
///
/// Keys are sorted: Foundation's JSONEncoder does not keep the order a type encodes its keys in
/// (on Linux it changes from one call to the next), and sorted keys make every file
/// reproducible. `metrics.jsonl` lines instead keep the order docs/report.md shows (`kind` first),
/// by `line(_:keyOrder:)`. Numbers are JSONEncoder's shortest round-trip text (`5`, `0.0006`, `1e-05`).
public enum RunFileJSON {
  /// One record of a JSON Lines file (`metrics.jsonl`, `ledger.jsonl`): compact, ending in a
  /// newline.
  public static func line<Record: Encodable>(_ record: Record) throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    var data = try encoder.encode(record)
    data.append(UInt8(ascii: "\n"))
    return data
  }

  /// One record of a JSON Lines file with its keys in `keyOrder` first (the order the documentation
  /// shows them in), any others after them sorted. The values are JSONEncoder's text; only the
  /// order of the members is chosen here.
  public static func line<Record: Encodable>(_ record: Record, keyOrder: [String]) throws -> Data {
    guard let object = try JSONSerialization.jsonObject(with: try line(record)) as? [String: Any] else {
      return try line(record)
    }
    let ordered = keyOrder.filter { object[$0] != nil } + object.keys.filter { !keyOrder.contains($0) }.sorted()
    var data = Data("{".utf8)
    for (index, key) in ordered.enumerated() {
      if index > 0 { data.append(UInt8(ascii: ",")) }
      data.append(try JSONSerialization.data(withJSONObject: key, options: [.fragmentsAllowed]))
      data.append(UInt8(ascii: ":"))
      data.append(try scalarText(object[key]!))
    }
    data.append(contentsOf: Array("}\n".utf8))
    return data
  }

  /// JSONEncoder's text of a value JSONSerialization read back from JSONEncoder's output
  /// (numbers keep their shortest round-trip form, e.g. `1.01e-07`).
  private static func scalarText(_ value: Any) throws -> Data {
    let encoder = JSONEncoder()
    switch value {
    case is NSNull: return Data("null".utf8)
    case let text as String: return try encoder.encode(text)
    case let number as NSNumber:
      let type = String(cString: number.objCType)
      return type == "d" || type == "f" ? try encoder.encode(number.doubleValue) : try encoder.encode(number.int64Value)
    default: return try JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed])
    }
  }

  /// A whole JSON document (`report.json`, the stored run configuration): indented.
  public static func document<Document: Encodable>(_ document: Document) throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    return try encoder.encode(document)
  }

  /// Each line of a JSON Lines file decoded as `Record`, in file order; lines that are empty
  /// or do not decode (a torn last line, a record of another kind) are left out.
  public static func records<Record: Decodable>(_ type: Record.Type, in data: Data) -> [Record] {
    let decoder = JSONDecoder()
    return data.split(separator: UInt8(ascii: "\n")).compactMap { line in
      try? decoder.decode(Record.self, from: Data(line))
    }
  }
}
