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
  /// Logits after the last `append` (the first `vocabSize` are the real vocabulary); the next
  /// `append` overwrites them.
  public var logits: UnsafePointer<Float> { UnsafePointer(row.logits) }

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
  }

  /// Forgets the cached prefix.
  public func reset() { length = 0 }

  /// Feeds `token` at the next position and computes the logits for the one after it.
  public func append(_ token: Int) throws {
    let config = model.config
    guard length < config.nCtx else { throw SwiftletError("context of \(config.nCtx) tokens is full") }
    let inputs = [Int32(clamping: token)]
    try model.checkVocabulary(inputs)
    try model.forward(row, inputs: inputs, firstPosition: length) { layer in
      CachedAttention(
        heads: config.nHead, headDim: config.headDim, keys: keys[layer].base, values: values[layer].base,
        position: length, scores: scores.base)
    }
    length += 1
  }
}
