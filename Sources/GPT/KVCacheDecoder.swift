import Kernels
import SwiftletCore

/// Autoregressive generation with a key/value cache: each new token costs one pass of
/// `O(n_layer · (C² + position · C))` instead of re-running the whole prefix.
///
/// Works on an unsharded model (tensor-parallel size 1), reusing its parameter arena. Each new
/// position runs through the model's own forward pass (embeddings, `TransformerBlock`s, head) as
/// one row, batch 1 and sequence length 1, whose attention core is `CachedAttention` over the
/// layer's cache instead of causal attention over the row: the decoder holds only the cache.
public final class KVCacheDecoder {
  public let model: GPTModel
  /// The activations of one position.
  private let row: Activations
  private let keys: [FloatArena]  // per layer [n_ctx, C]
  private let values: [FloatArena]
  private let scores: FloatArena  // [n_ctx]
  /// Tokens currently held in the cache.
  public private(set) var length = 0
  /// Logits over the real vocabulary after the last `append`.
  public let logits: FloatArena

  public init(model: GPTModel) throws {
    guard model.layout.tpSize == 1 else {
      throw SwiftletError("generation runs on one rank; load the checkpoint without tensor parallelism")
    }
    self.model = model
    let config = model.config
    row = Activations(layout: model.layout, batch: 1, seqLen: 1)
    keys = (0..<config.nLayer).map { _ in FloatArena(count: config.nCtx * config.dModel) }
    values = (0..<config.nLayer).map { _ in FloatArena(count: config.nCtx * config.dModel) }
    scores = FloatArena(count: config.nCtx)
    logits = FloatArena(count: model.layout.paddedVocab)
  }

  /// Forgets the cached prefix.
  public func reset() { length = 0 }

  /// Feeds `token` at the next position and computes the logits for the one after it.
  public func append(_ token: Int) throws {
    let config = model.config
    guard length < config.nCtx else { throw SwiftletError("context of \(config.nCtx) tokens is full") }
    guard token >= 0 && token < config.vocabSize else {
      throw SwiftletError("token id \(token) is outside the vocabulary [0, \(config.vocabSize))")
    }
    try model.forward(row, inputs: [Int32(token)], firstPosition: length) { layer in
      CachedAttention(
        heads: config.nHead, headDim: config.headDim, keys: keys[layer].base, values: values[layer].base,
        position: length, scores: scores.base)
    }
    logits.base.update(from: row.logits, count: model.layout.paddedVocab)
    length += 1
  }
}
