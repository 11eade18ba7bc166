import Checkpointing
import Foundation

/// The resolved configuration as JSON: the `config` attribute of every checkpoint and the text
/// rank 0 broadcasts. One object per section holding every schema key; the `model` object also
/// carries the resolved shape (`StoredModelConfig`), so a checkpoint's shape can be read
/// without the schema (`CheckpointModelConfig`) and without the `model.init_from` source.
struct StoredRunConfig {
  /// Every schema key by `section.key`.
  var values: [String: ConfigValue]
  /// The resolved shape; nil when read from a config that has none.
  var model: StoredModelConfig?
}

extension StoredRunConfig: Codable {
  /// A section or key name.
  private struct Name: CodingKey {
    var stringValue: String
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.init(stringValue) }
    var intValue: Int? { nil }
    init?(intValue: Int) { nil }
  }

  /// Each schema key with the kind the schema gives it; other keys (the shape's `family`,
  /// `ffn_dim`, `layer_norm`) are left to `model`. A value of the wrong type reads as zero,
  /// false or empty.
  init(from decoder: Decoder) throws {
    let root = try decoder.container(keyedBy: Name.self)
    values = [:]
    for section in root.allKeys {
      guard let table = try? root.nestedContainer(keyedBy: Name.self, forKey: section) else { continue }
      for key in table.allKeys {
        let name = "\(section.stringValue).\(key.stringValue)"
        guard let schema = ConfigSchema.byName[name] else { continue }
        switch schema.kind {
        case .int: values[name] = .int((try? table.decode(Int.self, forKey: key)) ?? 0)
        case .double: values[name] = .double((try? table.decode(Double.self, forKey: key)) ?? 0)
        case .bool: values[name] = .bool((try? table.decode(Bool.self, forKey: key)) ?? false)
        case .string: values[name] = .string((try? table.decode(String.self, forKey: key)) ?? "")
        }
      }
    }
    model = try root.decodeIfPresent(StoredModelConfig.self, forKey: Name("model"))
  }

  func encode(to encoder: Encoder) throws {
    var root = encoder.container(keyedBy: Name.self)
    let sections = Dictionary(grouping: values.keys) { String($0.prefix { $0 != "." }) }
    for (section, names) in sections {
      let sectionEncoder = root.superEncoder(forKey: Name(section))
      var table = sectionEncoder.container(keyedBy: Name.self)
      for name in names {
        try table.encode(values[name]!, forKey: Name(String(name.dropFirst(section.count + 1))))
      }
      // Into the same object: the resolved sizes replace the `[model]` keys of the same name
      // (0 = from preset becomes the number; JSONEncoder keeps the last value of a key).
      if section == "model", let model { try model.encode(to: sectionEncoder) }
    }
  }
}
