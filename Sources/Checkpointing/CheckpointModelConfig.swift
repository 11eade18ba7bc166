import Foundation
import GPT
import SwiftletCore

/// Reads the model shape out of a checkpoint's `config` text.
///
/// The writer stores the resolved run configuration as JSON whose `model` object carries
/// `n_layer`, `n_head`, `d_model`, `n_ctx`, `vocab_size` and `family` (and `ffn_dim` where it is
/// not 4 · d_model); a `preset` name alone is accepted too.
public enum CheckpointModelConfig {
  /// The model shape in `configText`, or an error saying what is missing.
  public static func parse(_ configText: String) throws -> GPTConfig {
    guard let data = configText.data(using: .utf8),
      let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    else {
      throw SwiftletError("the checkpoint's config is not JSON, so its model shape is unknown")
    }
    guard let model = root["model"] as? [String: Any] else {
      throw SwiftletError("the checkpoint's config has no 'model' object")
    }
    func integer(_ key: String) -> Int? {
      if let value = model[key] as? Int { return value }
      if let value = model[key] as? Double, value == value.rounded() { return Int(value) }
      return nil
    }
    var config: GPTConfig
    if let nLayer = integer("n_layer"), let nHead = integer("n_head"),
      let dModel = integer("d_model"),
      let nCtx = integer("n_ctx"), let vocab = integer("vocab_size")
    {
      let familyName = model["family"] as? String ?? "gpt2"
      guard let family = GPTConfig.Family(rawValue: familyName) else {
        throw SwiftletError("the checkpoint's model family '\(familyName)' is unknown")
      }
      config = GPTConfig(
        family: family, nLayer: nLayer, nHead: nHead, dModel: dModel, nCtx: nCtx, vocabSize: vocab,
        ffnDim: integer("ffn_dim"))
    } else if let preset = model["preset"] as? String {
      config = try GPTConfig.preset(named: preset)
    } else {
      throw SwiftletError(
        "the checkpoint's config.model lacks n_layer, n_head, d_model, n_ctx or vocab_size")
    }
    try config.validate()
    return config
  }
}
