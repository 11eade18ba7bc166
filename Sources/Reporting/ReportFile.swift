import Foundation
import RunFiles

/// `report.json` as the page reads it: as the trainer's `RunReport` for the model name and the
/// projection, and field by field for the tables.
struct ReportFile {
  /// Every field as written, for the tables.
  var fields: ReportValue
  /// The same text as a `RunReport`; nil when it is not in this version's format.
  var report: RunReport?

  /// The file at `path`, or nil with the reason it could not be used (nil, nil if absent). A
  /// file in another version's format still gives its tables, with the reason it gives no
  /// projection.
  static func read(path: String) -> (ReportFile?, String?) {
    let name = (path as NSString).lastPathComponent
    guard FileManager.default.fileExists(atPath: path) else { return (nil, nil) }
    guard let data = FileManager.default.contents(atPath: path) else {
      return (nil, "\(name) exists but cannot be read")
    }
    let decoder = JSONDecoder()
    let fields: ReportValue
    do {
      fields = try decoder.decode(ReportValue.self, from: data)
    } catch {
      return (nil, "\(name) is not valid JSON (\(problem(error))); its numbers are left out")
    }
    do {
      return (ReportFile(fields: fields, report: try decoder.decode(RunReport.self, from: data)), nil)
    } catch {
      return (
        ReportFile(fields: fields, report: nil),
        "\(name) is not in this version's format (\(problem(error))); its projection is left out"
      )
    }
  }

  /// What a decoding error says, in one short phrase.
  private static func problem(_ error: Error) -> String {
    switch error {
    case DecodingError.keyNotFound(let key, let context):
      return "no '\((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))'"
    case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
      return "'\(context.codingPath.map(\.stringValue).joined(separator: "."))' has the wrong type"
    case DecodingError.dataCorrupted(let context):
      return context.underlyingError.map { "\($0)" } ?? context.debugDescription
    default:
      return "\(error)"
    }
  }
}
