import Foundation
import SwiftletCore

/// A scalar configuration value, as TOML and `--set key=value` express them.
public enum ConfigValue: Equatable, Sendable, CustomStringConvertible {
  case int(Int)
  case double(Double)
  case bool(Bool)
  case string(String)

  /// Parses the right-hand side of `--set section.key=value`: integers (also `3e5` if whole),
  /// floats, `true`/`false`, quoted or bare strings.
  public init(parsing text: String) {
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    if trimmed.count >= 2, let first = trimmed.first, first == "\"" || first == "'", trimmed.last == first {
      self = .string(String(trimmed.dropFirst().dropLast()))
    } else if trimmed == "true" {
      self = .bool(true)
    } else if trimmed == "false" {
      self = .bool(false)
    } else if let value = Int(trimmed.replacingOccurrences(of: "_", with: "")) {
      self = .int(value)
    } else if let value = Double(trimmed.replacingOccurrences(of: "_", with: "")) {
      self = .double(value)
    } else {
      self = .string(trimmed)
    }
  }

  public var description: String {
    switch self {
    case .int(let v): "\(v)"
    case .double(let v): "\(v)"
    case .bool(let v): "\(v)"
    case .string(let v): "\"\(v)\""
    }
  }
}

/// A value as the stored configuration's JSON writes it: a plain number, boolean or string.
extension ConfigValue: Encodable {
  public func encode(to encoder: Encoder) throws {
    var container = encoder.singleValueContainer()
    switch self {
    case .int(let v): try container.encode(v)
    case .double(let v): try container.encode(v)
    case .bool(let v): try container.encode(v)
    case .string(let v): try container.encode(v)
    }
  }
}

/// Reads one TOML or JSON scalar; a table, array or date is an error naming the key.
extension ConfigValue: Decodable {
  public init(from decoder: Decoder) throws {
    let container = try decoder.singleValueContainer()
    if let v = try? container.decode(Bool.self) {
      self = .bool(v)
    } else if let v = try? container.decode(Int.self) {
      self = .int(v)
    } else if let v = try? container.decode(Double.self) {
      self = .double(v)
    } else if let v = try? container.decode(String.self) {
      self = .string(v)
    } else {
      let name = decoder.codingPath.map(\.stringValue).joined(separator: ".")
      throw SwiftletError("'\(name)' must be a number, boolean or string")
    }
  }
}
