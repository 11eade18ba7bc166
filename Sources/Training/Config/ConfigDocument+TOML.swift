import Foundation
import SwiftletCore
import TOMLKit

extension ConfigDocument {
  /// Reads a TOML configuration: `[section]` tables of `key = scalar`, decoded by TOMLKit into
  /// the typed sections. Unknown sections and keys are errors (with a suggestion when the key
  /// exists in another section), as are values of the wrong type; `source` names the file.
  public init(toml text: String, source: String) throws {
    try TOMLPreflight.check(text, source: source)
    let table: TOMLTable
    do {
      table = try TOMLTable(string: text)
    } catch let error as TOMLParseError {
      throw SwiftletError("\(source): invalid TOML at line \(error.source.begin.line): \(error.description)")
    } catch {
      throw SwiftletError("\(source): invalid TOML: \(error)")
    }
    for section in table.keys {
      guard let sectionTable = table[section]?.table else {
        throw SwiftletError("\(source): top-level key '\(section)' must be a [section] table")
      }
      for key in sectionTable.keys where !Self.knows("\(section).\(key)") {
        throw SwiftletError(
          "\(source): unknown config key '\(section).\(key)'\(Self.suggestion(for: "\(section).\(key)"))")
      }
    }
    do {
      self = try TOMLDecoder().decode(ConfigDocument.self, from: table)
    } catch let error as SwiftletError {
      throw SwiftletError("\(source): \(error.message)")
    } catch let error as DecodingError {
      // TOMLKit rejects a date or time itself, before the value reaches `ConfigValue`.
      throw SwiftletError("\(source): '\(error.keyPath)' must be a number, boolean or string")
    } catch {
      throw SwiftletError("\(source): \(error)")
    }
  }
}

extension DecodingError {
  /// `section.key` of the value that failed.
  var keyPath: String {
    let context: Context? =
      switch self {
      case .typeMismatch(_, let c), .valueNotFound(_, let c), .keyNotFound(_, let c), .dataCorrupted(let c): c
      @unknown default: nil
      }
    return context?.codingPath.map(\.stringValue).joined(separator: ".") ?? "?"
  }
}
