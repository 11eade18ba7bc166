import Kernels
import Parallel
import SwiftletCore

/// GPT-2 as Hugging Face `GPT2LMHeadModel` computes it, or OPT as `OPTForCausalLM` does
/// (docs/configuration.md): token + position embeddings, `n_layer` blocks, a final LayerNorm
/// (pre-LayerNorm models), and an LM head tied to the token embedding — for this rank's
/// tensor-parallel shard. opt-350m's 512-wide token embedding is projected into the residual
/// width after the lookup (`project_in`) and out of it before the head (`project_out`).
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
  private let architecture: ModelArchitecture
  private let wte: ParameterTensor
  /// Offset of the position table's row for position 0 (OPT skips 2 rows).
  private let wpeOffset: Int
  /// Final LayerNorm (pre-LayerNorm models only).
  private let lnf: (weight: Int, bias: Int)?
  /// opt-350m's bias-free projections between the embedding width E and C.
  private let projectIn: Int?
  private let projectOut: Int?
  /// Where the head's tensors (final LayerNorm, project_out) start: their gradient bucket.
  private let headTensorsOffset: Int
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
    architecture = config.architecture
    let names = layout.names
    wte = layout[names.tokenEmbedding + ".weight"]
    wpeOffset = layout[names.positionEmbedding + ".weight"].offset + architecture.positionOffset * config.dModel
    lnf = architecture.hasFinalLayerNorm
      ? (layout[names.finalNorm + ".weight"].offset, layout[names.finalNorm + ".bias"].offset) : nil
    projectIn = config.projectsEmbeddings ? names.projectIn.map { layout[$0 + ".weight"].offset } : nil
    projectOut = config.projectsEmbeddings ? names.projectOut.map { layout[$0 + ".weight"].offset } : nil
    let lastBlockEnd = blocks.last.map { $0.span.offset + $0.span.count }
    headTensorsOffset = lnf?.weight ?? projectOut ?? lastBlockEnd ?? layout.count
    let shardRows = layout.paddedVocab / region.size
    crossEntropy = VocabParallelCrossEntropy(
      region: region, firstColumn: region.rank * shardRows, columns: shardRows, validColumns: wte.validRows)
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
    let e = config.embeddingDim
    let lookup = projectIn == nil ? x0 : a.embedded
    tokens.withUnsafeBufferPointer {
      tokenEmbeddingForward(
        out: lookup, tokens: $0.baseAddress!, table: w + wte.offset, firstRow: shard.first,
        rows: shard.count, count: n, channels: e)
    }
    try region.reduceFromRegionForward(lookup, count: n * e)
    if let projectIn {
      linearForward(
        out: x0, inp: a.embedded, weight: w + projectIn, bias: nil, rows: n, inFeatures: e, outFeatures: c,
        layout: .outputMajor)
    }
    positionEmbeddingForward(x: x0, table: w + wpeOffset, batch: batch, seqLen: seqLen, channels: c)
    PhaseProfile.lap(.embeddingForward)

    for (i, block) in blocks.enumerated() {
      let output = i + 1 < blocks.count ? a.blocks[i + 1].residualIn : a.residualOut
      try block.forward(a.blocks[i], output: output, scratch: a, weights: w, region: region)
    }

    // Head: [final LayerNorm], [project_out], then logits over this rank's vocabulary shard
    // (column-parallel, entered through f).
    let hidden = headInput(a)
    if let lnf {
      layerNormForward(
        out: a.lnf, mean: a.lnfMean, rstd: a.lnfRstd, inp: a.residualOut, weight: w + lnf.weight,
        bias: w + lnf.bias, rows: n, channels: c)
      PhaseProfile.lap(.layerNormForward)
    }
    if let projectOut {
      linearForward(
        out: a.headInput, inp: normalizedOutput(a), weight: w + projectOut, bias: nil, rows: n, inFeatures: c,
        outFeatures: e, layout: .outputMajor)
    }
    region.copyToRegionForward(hidden, count: n * e)
    gemm(a.logits, hidden, w + wte.offset, m: n, n: shard.count, k: e, transposeB: true)
    PhaseProfile.lap(.lmHeadForward)

    guard let targets else { return 0 }
    try targets.withUnsafeBufferPointer {
      try crossEntropy.forward(
        losses: a.losses, statistics: a.lossStatistics, logits: a.logits, targets: $0.baseAddress!,
        rows: n)
    }
    var sum: Double = 0
    for i in 0..<n { sum += Double(a.losses[i]) }
    PhaseProfile.lap(.crossEntropyForward)
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

    let e = config.embeddingDim
    let hidden = headInput(a)
    // ∂L/∂hidden is E wide: it has its own buffer when E ≠ C.
    let dHidden = projectOut == nil ? a.dNorm : a.dEmbedded

    // Cross-entropy and LM head.
    targets.withUnsafeBufferPointer {
      crossEntropy.backward(
        logits: a.logits, statistics: a.lossStatistics, targets: $0.baseAddress!, rows: n,
        gradScale: lossScale)
    }
    PhaseProfile.lap(.crossEntropyBackward)
    gemm(g + wte.offset, a.logits, hidden, m: shard.count, n: e, k: n, transposeA: true, beta: 1)
    // The tied head's part of ∂wte is now complete. When the data-parallel ranks' embedding
    // lookups touch few rows, send the big table now (it then overlaps all the blocks' backward)
    // and exchange the lookup gradient later as sparse rows; otherwise send wte with wpe at the end.
    let deferLookup = buckets.map { $0.isActive && $0.groupSize * n < shard.count } ?? false
    if deferLookup { try buckets?.bucketReady(.init(offset: wte.offset, count: wte.count)) }
    gemm(dHidden, a.logits, w + wte.offset, m: n, n: e, k: shard.count)
    PhaseProfile.lap(.lmHeadBackward)
    try region.copyToRegionBackward(dHidden, count: n * e)
    PhaseProfile.lap(.tensorParallel)
    if let projectOut {
      linearBackward(
        dinp: a.dNorm, dweight: g + projectOut, dbias: nil, dout: a.dEmbedded, inp: normalizedOutput(a),
        weight: w + projectOut, rows: n, inFeatures: c, outFeatures: e, layout: .outputMajor)
    }
    if let lnf {
      a.dResidual.update(repeating: 0, count: n * c)
      layerNormBackward(
        dinp: a.dResidual, dweight: g + lnf.weight, dbias: g + lnf.bias, dout: a.dNorm,
        inp: a.residualOut, weight: w + lnf.weight, mean: a.lnfMean, rstd: a.lnfRstd, rows: n,
        channels: c)
    } else {
      a.dResidual.update(from: a.dNorm, count: n * c)
    }
    PhaseProfile.lap(.layerNormBackward)
    if headTensorsOffset < layout.count {
      try buckets?.bucketReady(.init(offset: headTensorsOffset, count: layout.count - headTensorsOffset))
    }

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
    positionEmbeddingBackward(
      dtable: g + wpeOffset, dout: a.dResidual, batch: a.batch, seqLen: a.seqLen, channels: c)
    if let projectIn {
      linearBackward(
        dinp: a.dEmbedded, dweight: g + projectIn, dbias: nil, dout: a.dResidual, inp: a.embedded,
        weight: w + projectIn, rows: n, inFeatures: e, outFeatures: c, layout: .outputMajor)
    }
    let dLookup = lookupGradient(a)
    region.reduceFromRegionBackward(dLookup, count: n * e)
    let positionTable = layout[layout.names.positionEmbedding + ".weight"].offset
    let embeddingsEnd = blocks.first?.span.offset ?? headTensorsOffset
    if deferLookup {
      pendingLookupGradient = true
      try buckets?.bucketReady(.init(offset: positionTable, count: embeddingsEnd - positionTable))
    } else {
      tokens.withUnsafeBufferPointer {
        tokenEmbeddingBackward(
          dtable: g + wte.offset, dout: dLookup, tokens: $0.baseAddress!, firstRow: shard.first,
          rows: shard.count, count: n, channels: e)
      }
      try buckets?.bucketReady(.init(offset: 0, count: embeddingsEnd))
    }
    PhaseProfile.lap(.embeddingBackward)
  }

  /// The last block's output as the head sees it: after the final LayerNorm, if any.
  private func normalizedOutput(_ a: Activations) -> FloatPointer { lnf == nil ? a.residualOut : a.lnf }

  /// What the tied head multiplies by the token table: the normalised output, projected to E.
  private func headInput(_ a: Activations) -> FloatPointer {
    projectOut == nil ? normalizedOutput(a) : a.headInput
  }

  /// ∂L/∂(token lookup output), E wide, once the backward pass has reached the embeddings.
  private func lookupGradient(_ a: Activations) -> FloatPointer {
    projectIn == nil ? a.dResidual : a.dEmbedded
  }

  /// Whether `backward` left the token-embedding lookup gradient to `finishBackward`.
  private var pendingLookupGradient = false

  /// Completes the gradients after `buckets.finish()`: adds every data-parallel rank's
  /// token-embedding lookup gradient rows (deferred by `backward`) to the summed table.
  public func finishBackward(buckets: GradientBuckets) throws {
    guard pendingLookupGradient, let a = activations else { return }
    pendingLookupGradient = false
    let e = config.embeddingDim
    let shard = vocabShard
    let gathered = try buckets.gatherRows(tokens: tokens, rows: lookupGradient(a), width: e)
    let tokens32 = gathered.tokens.map { Int32($0) }
    tokens32.withUnsafeBufferPointer { ids in
      gathered.rows.withUnsafeBufferPointer { rows in
        tokenEmbeddingBackward(
          dtable: gradients.base + wte.offset, dout: rows.baseAddress!, tokens: ids.baseAddress!,
          firstRow: shard.first, rows: shard.count, count: ids.count, channels: e)
      }
    }
  }
}
