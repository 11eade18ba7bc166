import Checkpointing
import Foundation
import GPT
import Parallel
import SwiftletCore

/// `model.init_from` (docs/fine-tuning.md): the model shape from a source of released weights,
/// and those weights loaded on any layout.
///
/// Sources: a Hugging Face folder, an llm.c file (both imported by rank 0 into a temporary
/// step-0 checkpoint beside the run's files, then read by every rank as its own slices, exactly
/// as a resume reads a checkpoint, and deleted) or a Swiftlet checkpoint (read in place; its
/// optimizer state, step and ledger are ignored).
enum InitialWeights {
  /// The source's model shape; explicit shape keys in `keys` must repeat it.
  static func modelShape(source: String, keys: ModelSettings) throws -> GPTConfig {
    let shape: GPTConfig
    switch try ModelSourceKind.detect(source) {
    case .swiftletCheckpoint:
      shape = try CheckpointModelConfig.parse(try CheckpointReader(path: source).config)
    default:
      shape = try ModelSourceKind.open(source).config
    }
    let preset = keys.preset
    if !preset.isEmpty, try GPTConfig.preset(named: preset) != shape {
      throw SwiftletError(
        "model.preset = \(preset) conflicts with model.init_from (\(describe(shape))); remove model.preset: the shape comes from the source"
      )
    }
    let given: [(String, explicit: Int, source: Int)] = [
      ("n_layer", keys.nLayer, shape.nLayer), ("n_head", keys.nHead, shape.nHead),
      ("d_model", keys.dModel, shape.dModel),
      ("n_ctx", keys.nCtx, shape.nCtx), ("vocab_size", keys.vocabSize, shape.vocabSize),
      ("word_embed_proj_dim", keys.wordEmbedProjDim, shape.embeddingDim),
    ]
    for (key, explicit, value) in given {
      if explicit != 0 && explicit != value {
        throw SwiftletError(
          "model.\(key) = \(explicit) conflicts with model.init_from, whose \(key) is \(value); remove model.\(key): the shape comes from the source"
        )
      }
    }
    return shape
  }

  static func describe(_ c: GPTConfig) -> String {
    "\(c.family.rawValue), n_layer \(c.nLayer), n_head \(c.nHead), d_model \(c.dModel), n_ctx \(c.nCtx), vocab_size \(c.vocabSize)"
  }

  /// Loads the source's weights into this rank's part of `model` (collective over the world).
  /// Returns a description of the source.
  static func load(source: String, model: GPTModel, grid: ProcessGrid, scratchDirectory: String) throws -> String {
    let checkpoint = try ImportedCheckpoint.materialize(source, grid: grid, scratchDirectory: scratchDirectory)
    defer { checkpoint.remove(grid: grid) }
    let reader = try CheckpointReader(path: checkpoint.path, verifyFileChecksum: !checkpoint.isTemporary)
    try ShardedCheckpoint.loadParameters(reader: reader, model: model)
    return reader.importedFrom ?? checkpoint.origin
  }
}
