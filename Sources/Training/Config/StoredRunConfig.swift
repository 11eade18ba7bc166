import Checkpointing
import Foundation

/// The resolved configuration as JSON: the `config` attribute of every checkpoint and the text
/// rank 0 broadcasts. One object per section holding every schema key; the `model` object also
/// carries the resolved shape (`StoredModelConfig`), so a checkpoint's shape can be read
/// without the schema (`CheckpointModelConfig`) and without the `model.init_from` source.
struct StoredRunConfig {
  var settings: ConfigDocument
  /// The resolved shape; nil when read from a config that has none.
  var model: StoredModelConfig?
}

extension StoredRunConfig: Codable {
  init(from decoder: Decoder) throws {
    settings = try ConfigDocument(from: decoder)
    model = try decoder.container(keyedBy: ConfigKey.self).decodeIfPresent(
      StoredModelConfig.self, forKey: ConfigKey("model"))
  }

  func encode(to encoder: Encoder) throws {
    // Into the same object: the resolved sizes replace the `[model]` keys of the same name
    // (0 = from preset becomes the number; JSONEncoder keeps the last value of a key).
    try settings.encode(to: encoder) { section, sectionEncoder in
      if section == ModelSettings.name, let model { try model.encode(to: sectionEncoder) }
    }
  }
}
