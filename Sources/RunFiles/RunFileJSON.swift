import Foundation

/// How the run directory's JSON files are written and read: by JSONEncoder and JSONDecoder with
/// the record types of this module.
///
/// Keys are sorted: Foundation's JSONEncoder does not keep the order a type encodes its keys in
/// (on Linux it changes from one call to the next), and sorted keys make every file
/// reproducible. Numbers are JSONEncoder's shortest round-trip text (`5`, `0.0006`, `1e-05`).
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
