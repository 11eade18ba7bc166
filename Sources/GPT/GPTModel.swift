import Kernels
import Parallel
import SwiftletCore

/// GPT-2 as Hugging Face `GPT2LMHeadModel` computes it (contract section 3): token + position
/// embeddings, `n_layer` pre-LayerNorm blocks, a final LayerNorm, and an LM head tied to the
/// token embedding — for this rank's tensor-parallel shard.
///
/// The vocabulary is split across tensor-parallel ranks in the embedding, the head and the
/// cross-entropy (padded to a multiple of tp); everything else follows `TransformerBlock`.
public final class GPTModel {
  public let config: GPTConfig
  public let layout: ParameterLayout
  public let region: TensorParallelRegion
  /// This rank's parameters, one arena (views per tensor via `layout`).
  public let parameters: FloatArena
  /// Gradients, laid out like `parameters`.
  public let gradients: FloatArena

  private let blocks: [TransformerBlock]
  private let wte: ParameterTensor
  private let wpeOffset: Int
  private let lnfWeight: Int
  private let lnfBias: Int
  private let crossEntropy: VocabParallelCrossEntropy
  private var activations: Activations?
  private var tokens: [Int32] = []
  private var targets: [Int32] = []

  /// Builds the shard for tensor-parallel rank `region.rank` of `region.size`, zero-initialised.
  public init(config: GPTConfig, region: TensorParallelRegion) throws {
    self.config = config
    self.region = region
    let layout = try ParameterLayout(config: config, tpRank: region.rank, tpSize: region.size)
    self.layout = layout
    parameters = FloatArena(count: layout.count)
    gradients = FloatArena(count: layout.count)
    blocks = (0..<config.nLayer).map { TransformerBlock(index: $0, layout: layout) }
    wte = layout["transformer.wte.weight"]
    wpeOffset = layout["transformer.wpe.weight"].offset
    lnfWeight = layout["transformer.ln_f.weight"].offset
    lnfBias = layout["transformer.ln_f.bias"].offset
    let shardRows = layout.paddedVocab / region.size
    let firstRow = region.rank * shardRows
    crossEntropy = VocabParallelCrossEntropy(
      region: region, firstColumn: firstRow, columns: shardRows,
      validColumns: max(0, min(shardRows, config.vocabSize - firstRow)))
  }

  /// Rows of the padded vocabulary this rank owns.
  public var vocabShard: (first: Int, count: Int) { (crossEntropy.firstColumn, crossEntropy.columns) }

  /// Bytes of activation memory currently allocated.
  public var activationBytes: Int { activations?.bytes ?? 0 }

  /// Activation recomputation: the forward pass keeps only each block's input, and the
  /// backward runs a block's forward again right before its backward. Costs one more forward
  /// pass of every block but the last; losses and gradients are bit-identical (the same kernels run on the
  /// same inputs). Changing it frees the activations.
  public var recomputesBlocks = false {
    didSet { if recomputesBlocks != oldValue { activations = nil } }
  }

  private func prepare(batch: Int, seqLen: Int) throws -> Activations {
    guard seqLen >= 1, seqLen <= config.nCtx else {
      throw SwiftletError("sequence length \(seqLen) must be between 1 and n_ctx = \(config.nCtx)")
    }
    if let a = activations, a.batch == batch, a.seqLen == seqLen { return a }
    activations = nil  // free the old arena before allocating the new one
    let a = Activations(layout: layout, batch: batch, seqLen: seqLen, recomputesBlocks: recomputesBlocks)
    activations = a
    return a
  }

  /// Runs the forward pass on `inputs[B·T]`; with `targets` it also computes the per-token
  /// cross-entropy and returns the SUM of the losses over this rank's `B·T` tokens.
  @discardableResult
  public func forward(inputs: [Int32], targets: [Int32]?, batch: Int, seqLen: Int) throws -> Double {
    let a = try prepare(batch: batch, seqLen: seqLen)
    let n = batch * seqLen
    let c = config.dModel
    precondition(inputs.count == n && (targets == nil || targets!.count == n))
    for token in inputs where token < 0 || Int(token) >= config.vocabSize {
      throw SwiftletError("token id \(token) is outside the vocabulary [0, \(config.vocabSize))")
    }
    tokens = inputs
    self.targets = targets ?? []
    let w = parameters.base
    let shard = vocabShard

    // Embeddings: the vocabulary-parallel lookup is a row-parallel layer, left through g.
    let x0 = config.nLayer > 0 ? a.blocks[0].residualIn : a.residualOut
    tokens.withUnsafeBufferPointer {
      tokenEmbeddingForward(
        out: x0, tokens: $0.baseAddress!, table: w + wte.offset, firstRow: shard.first,
        rows: shard.count, count: n, channels: c)
    }
    try region.reduceFromRegionForward(x0, count: n * c)
    positionEmbeddingForward(x: x0, table: w + wpeOffset, batch: batch, seqLen: seqLen, channels: c)

    for (i, block) in blocks.enumerated() {
      let output = i + 1 < blocks.count ? a.blocks[i + 1].residualIn : a.residualOut
      try block.forward(a.blocks[i], output: output, scratch: a, weights: w, region: region)
    }

    // Head: logits over this rank's vocabulary shard (column-parallel, entered through f).
    layerNormForward(
      out: a.lnf, mean: a.lnfMean, rstd: a.lnfRstd, inp: a.residualOut, weight: w + lnfWeight,
      bias: w + lnfBias, rows: n, channels: c)
    region.copyToRegionForward(a.lnf, count: n * c)
    gemm(a.logits, a.lnf, w + wte.offset, m: n, n: shard.count, k: c, transposeB: true)

    guard let targets else { return 0 }
    try targets.withUnsafeBufferPointer {
      try crossEntropy.forward(
        losses: a.losses, statistics: a.lossStatistics, logits: a.logits, targets: $0.baseAddress!,
        rows: n)
    }
    var sum: Double = 0
    for i in 0..<n { sum += Double(a.losses[i]) }
    return sum
  }

  /// Per-token losses of the last forward pass (`B·T`).
  public var lastLosses: UnsafeBufferPointer<Float> {
    let a = activations!
    return UnsafeBufferPointer(start: a.losses, count: a.batch * a.seqLen)
  }

  /// Logits of the last forward pass for this rank's vocabulary shard: `[B·T, Vshard]`
  /// (padded columns included). Valid until `backward()` overwrites them with their gradient.
  public var lastLogits: UnsafeBufferPointer<Float> {
    let a = activations!
    return UnsafeBufferPointer(start: a.logits, count: a.batch * a.seqLen * vocabShard.count)
  }

  /// Back-propagates `lossScale · Σ losses` of the last forward pass, ACCUMULATING into
  /// `gradients` (zero them between optimizer steps). When `buckets` is given, each bucket's
  /// data-parallel allreduce starts as soon as its gradients are final.
  public func backward(lossScale: Float, buckets: GradientBuckets? = nil) throws {
    guard let a = activations, !targets.isEmpty else {
      preconditionFailure("backward() needs a forward pass with targets")
    }
    let n = a.batch * a.seqLen
    let c = config.dModel
    let w = parameters.base
    let g = gradients.base
    let shard = vocabShard

    // Cross-entropy and LM head.
    targets.withUnsafeBufferPointer {
      crossEntropy.backward(
        logits: a.logits, statistics: a.lossStatistics, targets: $0.baseAddress!, rows: n,
        gradScale: lossScale)
    }
    gemm(g + wte.offset, a.logits, a.lnf, m: shard.count, n: c, k: n, transposeA: true, beta: 1)
    // The tied head's part of ∂wte is now complete. When the data-parallel ranks' embedding
    // lookups touch few rows, send the big table now (it then overlaps all the blocks' backward)
    // and exchange the lookup gradient later as sparse rows; otherwise send wte with wpe at the end.
    let deferLookup = buckets.map { $0.isActive && $0.groupSize * n < shard.count } ?? false
    if deferLookup { try buckets?.bucketReady(.init(offset: wte.offset, count: wte.count)) }
    gemm(a.dNorm, a.logits, w + wte.offset, m: n, n: c, k: shard.count)
    try region.copyToRegionBackward(a.dNorm, count: n * c)
    a.dResidual.update(repeating: 0, count: n * c)
    layerNormBackward(
      dinp: a.dResidual, dweight: g + lnfWeight, dbias: g + lnfBias, dout: a.dNorm,
      inp: a.residualOut, weight: w + lnfWeight, mean: a.lnfMean, rstd: a.lnfRstd, rows: n,
      channels: c)
    try buckets?.bucketReady(.init(offset: lnfWeight, count: layout.count - lnfWeight))

    for i in stride(from: blocks.count - 1, through: 0, by: -1) {
      if a.recomputesBlocks && i < blocks.count - 1 {
        // Refill the shared buffers from the kept input (the last block's are still in place
        // from the forward pass). The block's output is not needed: it goes to dNorm, which
        // the backward overwrites before reading; the forward's scratch (projection, geluOut,
        // attentionScratch) carries nothing between blocks, and dResidual, the running
        // gradient, is not touched.
        try blocks[i].forward(a.blocks[i], output: a.dNorm, scratch: a, weights: w, region: region)
      }
      try blocks[i].backward(a.blocks[i], scratch: a, weights: w, gradients: g, region: region)
      try buckets?.bucketReady(.init(offset: blocks[i].span.offset, count: blocks[i].span.count))
      try buckets?.progress()
    }

    // Embeddings (g's backward is the identity: every rank gets the full gradient).
    region.reduceFromRegionBackward(a.dResidual, count: n * c)
    positionEmbeddingBackward(
      dtable: g + wpeOffset, dout: a.dResidual, batch: a.batch, seqLen: a.seqLen, channels: c)
    let embeddingsEnd = blocks.first?.span.offset ?? lnfWeight
    if deferLookup {
      pendingLookupGradient = true
      try buckets?.bucketReady(.init(offset: wpeOffset, count: embeddingsEnd - wpeOffset))
    } else {
      tokens.withUnsafeBufferPointer {
        tokenEmbeddingBackward(
          dtable: g + wte.offset, dout: a.dResidual, tokens: $0.baseAddress!, firstRow: shard.first,
          rows: shard.count, count: n, channels: c)
      }
      try buckets?.bucketReady(.init(offset: 0, count: embeddingsEnd))
    }
  }

  /// Whether `backward` left the token-embedding lookup gradient to `finishBackward`.
  private var pendingLookupGradient = false

  /// Completes the gradients after `buckets.finish()`: adds every data-parallel rank's
  /// token-embedding lookup gradient rows (deferred by `backward`) to the summed table.
  public func finishBackward(buckets: GradientBuckets) throws {
    guard pendingLookupGradient, let a = activations else { return }
    pendingLookupGradient = false
    let c = config.dModel
    let shard = vocabShard
    let gathered = try buckets.gatherRows(tokens: tokens, rows: a.dResidual, width: c)
    let tokens32 = gathered.tokens.map { Int32($0) }
    tokens32.withUnsafeBufferPointer { ids in
      gathered.rows.withUnsafeBufferPointer { rows in
        tokenEmbeddingBackward(
          dtable: gradients.base + wte.offset, dout: rows.baseAddress!, tokens: ids.baseAddress!,
          firstRow: shard.first, rows: shard.count, count: ids.count, channels: c)
      }
    }
  }
}
