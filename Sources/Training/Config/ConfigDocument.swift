import SwiftletCore

/// A run configuration as written: every section with its keys' values, defaults where the
/// TOML file, `--set` or stored config gives none. `RunConfig` is the checked, resolved form.
public struct ConfigDocument: Sendable {
  /// `[model]` as written; the resolved shape is `RunConfig.model`.
  public var modelKeys = ModelSettings()
  public var data = DataSettings()
  public var train = TrainSettings()
  public var parallel = ParallelSettings()
  public var checkpoint = CheckpointSettings()
  public var accounting = AccountingSettings()
  public var debug = DebugSettings()
  public var run = RunSettings()
  public init() {}

  /// One key of the schema, as docs/configuration.md lists it.
  public struct Key: Sendable {
    /// `section.key`.
    public let name: String
    public let typeName: String
    public let defaultValue: ConfigValue
    public let help: String
  }

  /// Every key Swiftlet understands, section by section.
  public static let keys: [Key] = sections.flatMap(\.keys)

  /// Sets `section.key` from `--set` after checking that the key exists and the value's type.
  public mutating func set(_ name: String, to value: ConfigValue) throws {
    guard let (section, key) = Self.locate(name), try section.assign(key, value, &self) else {
      throw SwiftletError("--set: unknown config key '\(name)'\(Self.suggestion(for: name))")
    }
  }

  /// The value of `section.key`, nil for an unknown key.
  public func value(of name: String) -> ConfigValue? {
    Self.locate(name).flatMap { section, key in section.read(key, self) }
  }

  /// Whether `section.key` is in the schema.
  static func knows(_ name: String) -> Bool { keys.contains { $0.name == name } }

  /// " (did you mean train.lr?)" when another section has a key of that name, else "".
  static func suggestion(for name: String) -> String {
    let leaf = name.split(separator: ".").last.map(String.init) ?? name
    let close = keys.map(\.name).filter { $0.hasSuffix("." + leaf) }
    return close.isEmpty ? "" : " (did you mean \(close.joined(separator: " or "))?)"
  }

  // MARK: Sections by name

  /// One section's operations by key name, for `--set`, the schema list and coding.
  private struct SectionAccess: Sendable {
    let name: String
    let keys: [Key]
    let read: @Sendable (String, ConfigDocument) -> ConfigValue?
    let assign: @Sendable (String, ConfigValue, inout ConfigDocument) throws -> Bool
    let decode: @Sendable (KeyedDecodingContainer<ConfigKey>, inout ConfigDocument) throws -> Void
    let encode: @Sendable (ConfigDocument, Encoder) throws -> Void

    init<Section: ConfigSection>(_ property: WritableKeyPath<ConfigDocument, Section>) {
      nonisolated(unsafe) let property = property  // key paths are immutable values
      name = Section.name
      keys = Section.fields.map {
        Key(
          name: "\(Section.name).\($0.key)", typeName: $0.typeName, defaultValue: $0.value(in: Section()),
          help: $0.help)
      }
      read = { key, document in Section.field(key)?.value(in: document[keyPath: property]) }
      assign = { key, value, document in
        guard let field = Section.field(key) else { return false }
        try field.assign(value, to: &document[keyPath: property])
        return true
      }
      decode = { container, document in
        let key = ConfigKey(Section.name)
        if container.contains(key) { document[keyPath: property] = try container.decode(Section.self, forKey: key) }
      }
      encode = { document, encoder in try document[keyPath: property].encode(to: encoder) }
    }
  }

  private static let sections: [SectionAccess] = [
    SectionAccess(\.modelKeys), SectionAccess(\.data), SectionAccess(\.train), SectionAccess(\.parallel),
    SectionAccess(\.checkpoint), SectionAccess(\.accounting), SectionAccess(\.debug), SectionAccess(\.run),
  ]

  /// The section of `section.key` and the key inside it.
  private static func locate(_ name: String) -> (SectionAccess, String)? {
    guard let dot = name.firstIndex(of: "."),
      let section = sections.first(where: { $0.name == name[..<dot] })
    else { return nil }
    return (section, String(name[name.index(after: dot)...]))
  }
}

/// One object per section (`{"train": {"lr": 0.0006, …}, …}`): the stored config's layout.
/// Sections and keys the document lacks keep their defaults.
extension ConfigDocument: Codable {
  public init(from decoder: Decoder) throws {
    self.init()
    let container = try decoder.container(keyedBy: ConfigKey.self)
    for section in Self.sections { try section.decode(container, &self) }
  }

  public func encode(to encoder: Encoder) throws { try encode(to: encoder) { _, _ in } }

  /// Encodes the sections into `encoder`'s keyed container, one nested encoder per section,
  /// with `extra` writing more keys into a section's object (the resolved model shape).
  func encode(to encoder: Encoder, adding extra: (String, Encoder) throws -> Void) throws {
    var container = encoder.container(keyedBy: ConfigKey.self)
    for section in Self.sections {
      let sectionEncoder = container.superEncoder(forKey: ConfigKey(section.name))
      try section.encode(self, sectionEncoder)
      try extra(section.name, sectionEncoder)
    }
  }
}
