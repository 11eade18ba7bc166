import SwiftletCore

/// One `[section]` of a run configuration: a struct whose properties carry the defaults and
/// whose `fields` name each key, its type and its meaning (docs/configuration.md lists the same
/// keys; a test compares each row's type and default with them).
///
/// It is `Codable` through `fields`: keys the document leaves out keep their defaults, keys it
/// has must hold a value of the field's type, and keys the schema lacks are ignored (the TOML
/// loader rejects them before decoding; a stored config from a newer version may have them).
public protocol ConfigSection: Codable, Sendable {
  /// The defaults.
  init()
  /// The `[section]` name.
  static var name: String { get }
  static var fields: [ConfigField<Self>] { get }
}

/// One key of a `ConfigSection`.
public struct ConfigField<Section: ConfigSection>: Sendable {
  /// The key inside its section, as written in TOML (`batch_size`).
  public let key: String
  public let help: String
  /// `int`, `double`, `bool` or `string`.
  public let typeName: String
  private let read: @Sendable (Section) -> ConfigValue
  private let write: @Sendable (inout Section, ConfigValue) throws -> Void

  public init<Value: ConfigScalar>(_ key: String, _ property: WritableKeyPath<Section, Value>, _ help: String) {
    self.key = key
    self.help = help
    typeName = Value.typeName
    nonisolated(unsafe) let property = property  // key paths are immutable values
    read = { $0[keyPath: property].configValue }
    write = { section, value in
      guard let typed = Value(configValue: value) else {
        throw SwiftletError("\(Section.name).\(key) must be \(Value.expectation), got \(value)")
      }
      section[keyPath: property] = typed
    }
  }

  /// The field's value in `section`.
  public func value(in section: Section) -> ConfigValue { read(section) }

  /// Sets the field from a scalar, converting as `ConfigScalar` allows.
  public func assign(_ value: ConfigValue, to section: inout Section) throws { try write(&section, value) }
}

/// A section or key name as a coding key.
struct ConfigKey: CodingKey {
  var stringValue: String
  init(_ name: String) { stringValue = name }
  init?(stringValue: String) { self.init(stringValue) }
  var intValue: Int? { nil }
  init?(intValue: Int) { nil }
}

extension ConfigSection {
  public init(from decoder: Decoder) throws {
    self.init()
    let container = try decoder.container(keyedBy: ConfigKey.self)
    for field in Self.fields where container.contains(ConfigKey(field.key)) {
      try field.assign(container.decode(ConfigValue.self, forKey: ConfigKey(field.key)), to: &self)
    }
  }

  public func encode(to encoder: Encoder) throws {
    var container = encoder.container(keyedBy: ConfigKey.self)
    for field in Self.fields { try container.encode(field.value(in: self), forKey: ConfigKey(field.key)) }
  }

  /// The field called `key`.
  static func field(_ key: String) -> ConfigField<Self>? { fields.first { $0.key == key } }
}
