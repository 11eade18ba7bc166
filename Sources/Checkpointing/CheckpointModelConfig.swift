import Foundation
import GPT
import SwiftletCore

/// Reads the model shape out of a checkpoint's `config` text.
///
/// The writer stores the resolved run configuration as JSON whose `model` object carries
/// `n_layer`, `n_head`, `d_model`, `n_ctx`, `vocab_size`, `family`, `ffn_dim`, `layer_norm`
/// (`pre` | `post`) and, for projected OPT embeddings, `word_embed_proj_dim` (a positive value
/// other than d_model); keys missing from older checkpoints take their defaults. A `preset` name
/// alone is accepted too.
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
      let placementName = model["layer_norm"] as? String ?? "pre"
      guard let layerNorm = GPTConfig.LayerNormPlacement(rawValue: placementName) else {
        throw SwiftletError("the checkpoint's model layer_norm '\(placementName)' is not pre or post")
      }
      let embedding = integer("word_embed_proj_dim").flatMap { $0 > 0 && $0 != dModel ? $0 : nil }
      config = GPTConfig(
        family: family, nLayer: nLayer, nHead: nHead, dModel: dModel, nCtx: nCtx, vocabSize: vocab,
        ffnDim: integer("ffn_dim"), layerNorm: layerNorm, wordEmbedProjDim: embedding)
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
