import GPT
import SwiftletCore

/// The `model` object of a stored run configuration (a checkpoint's `config` attribute, the
/// configuration rank 0 broadcasts): the resolved model shape. Training's `RunConfig` writes it
/// next to the `[model]` keys of the config file; `CheckpointModelConfig` reads it back.
///
/// Every field is optional when read: checkpoints from before `family`, `ffn_dim`, `layer_norm`
/// or `word_embed_proj_dim` existed lack them, and a hand-made config may give a `preset` only.
public struct StoredModelConfig: Codable, Equatable, Sendable {
  public var preset: String?
  public var family: String?
  public var nLayer: Int?
  public var nHead: Int?
  public var dModel: Int?
  public var nCtx: Int?
  public var vocabSize: Int?
  public var ffnDim: Int?
  /// `pre` or `post`.
  public var layerNorm: String?
  /// OPT's projected token-embedding width; written only when it differs from `d_model`.
  public var wordEmbedProjDim: Int?

  /// The fields of a resolved shape (the preset name stays with the config file's keys).
  public init(_ config: GPTConfig) {
    family = config.family.rawValue
    nLayer = config.nLayer
    nHead = config.nHead
    dModel = config.dModel
    nCtx = config.nCtx
    vocabSize = config.vocabSize
    ffnDim = config.ffnDim
    layerNorm = config.layerNorm.rawValue
    wordEmbedProjDim = config.projectsEmbeddings ? config.embeddingDim : nil
  }

  enum CodingKeys: String, CodingKey {
    case preset, family
    case nLayer = "n_layer"
    case nHead = "n_head"
    case dModel = "d_model"
    case nCtx = "n_ctx"
    case vocabSize = "vocab_size"
    case ffnDim = "ffn_dim"
    case layerNorm = "layer_norm"
    case wordEmbedProjDim = "word_embed_proj_dim"
  }

  /// The model shape: the explicit fields when all five sizes are there (missing `family` is
  /// `gpt2`, `layer_norm` is `pre`), else the `preset`.
  ///
  /// - Throws: `SwiftletError` naming what is missing or unknown, or why the shape is invalid.
  public func resolved() throws -> GPTConfig {
    var config: GPTConfig
    if let nLayer, let nHead, let dModel, let nCtx, let vocabSize {
      let familyName = family ?? "gpt2"
      guard let family = GPTConfig.Family(rawValue: familyName) else {
        throw SwiftletError("the checkpoint's model family '\(familyName)' is unknown")
      }
      let placementName = layerNorm ?? "pre"
      guard let placement = GPTConfig.LayerNormPlacement(rawValue: placementName) else {
        throw SwiftletError("the checkpoint's model layer_norm '\(placementName)' is not pre or post")
      }
      let embedding = wordEmbedProjDim.flatMap { $0 > 0 && $0 != dModel ? $0 : nil }
      config = GPTConfig(
        family: family, nLayer: nLayer, nHead: nHead, dModel: dModel, nCtx: nCtx, vocabSize: vocabSize,
        ffnDim: ffnDim, layerNorm: placement, wordEmbedProjDim: embedding)
    } else if let preset {
      config = try GPTConfig.preset(named: preset)
    } else {
      throw SwiftletError(
        "the checkpoint's config.model lacks n_layer, n_head, d_model, n_ctx or vocab_size")
    }
    try config.validate()
    return config
  }
}
