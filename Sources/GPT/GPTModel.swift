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
///
/// Under pipeline parallelism a model holds one `PipelineStage`: its blocks, plus the embeddings
/// on the first stage and the head on the last. A middle stage's forward starts from
/// `stageInput(slot:)` and ends in `stageOutput(slot:)`; its backward starts from
/// `outputGradient(slot:)` and leaves `inputGradient(slot:)`. Each in-flight micro-batch of the
/// schedule uses its own activation `slot`.
public final class GPTModel {
  public let config: GPTConfig
  public let layout: ParameterLayout
  public let region: TensorParallelRegion
  /// This rank's parameters, one arena (views per tensor via `layout`).
  public let parameters: FloatArena
  /// Gradients, laid out like `parameters`.
  public let gradients: FloatArena

  /// The layers this model runs (all of them without pipeline parallelism).
  public let stage: PipelineStage
  private let blocks: [TransformerBlock]
  /// The token embedding (first stage) or its tied copy (last stage); nil on middle stages.
  private let wte: ParameterTensor?
  /// Offset of the position table's row for position 0 (OPT skips 2 rows); first stage only.
  private let wpeOffset: Int?
  /// Final LayerNorm (pre-LayerNorm models only).
  private let lnf: (weight: Int, bias: Int)?
  /// opt-350m's bias-free projections between the embedding width E and C.
  private let projectIn: Int?
  private let projectOut: Int?
  /// Where the head's tensors (final LayerNorm, project_out) start: their gradient bucket.
  private let headTensorsOffset: Int
  private let crossEntropy: VocabParallelCrossEntropy
  /// One set of activations per in-flight micro-batch (one without pipeline parallelism).
  private var slots: [Activations?] = [nil]
  private var slotTokens: [[Int32]] = [[]]
  private var slotTargets: [[Int32]] = [[]]

  /// Builds the shard for tensor-parallel rank `region.rank` of `region.size` and pipeline
  /// `stage` (the whole model when nil), zero-initialised.
  public init(config: GPTConfig, region: TensorParallelRegion, stage: PipelineStage? = nil) throws {
    self.config = config
    self.region = region
    let layout = try ParameterLayout(config: config, tpRank: region.rank, tpSize: region.size, stage: stage)
    self.layout = layout
    self.stage = layout.stage
    parameters = FloatArena(count: layout.count)
    gradients = FloatArena(count: layout.count)
    blocks = layout.stage.layers.map { TransformerBlock(index: $0, layout: layout, region: region) }
    let architecture = config.architecture
    let names = layout.names
    let first = layout.stage.isFirst
    let last = layout.stage.isLast
    wte = first || last ? layout[names.tokenEmbedding + ".weight"] : nil
    wpeOffset =
      first
      ? layout[names.positionEmbedding + ".weight"].offset + architecture.positionOffset * config.dModel : nil
    lnf =
      architecture.hasFinalLayerNorm && last
      ? (layout[names.finalNorm + ".weight"].offset, layout[names.finalNorm + ".bias"].offset) : nil
    projectIn = config.projectsEmbeddings && first ? names.projectIn.map { layout[$0 + ".weight"].offset } : nil
    projectOut = config.projectsEmbeddings && last ? names.projectOut.map { layout[$0 + ".weight"].offset } : nil
    headTensorsOffset = lnf?.weight ?? projectOut ?? layout.count
    crossEntropy = VocabParallelCrossEntropy(
      region: region, vocab: config.vocabSize, paddedVocab: layout.paddedVocab)
  }

  /// Rows of the padded vocabulary this rank owns.
  public var vocabShard: (first: Int, count: Int) { (crossEntropy.firstColumn, crossEntropy.columns) }

  /// Bytes of activation memory currently allocated (all slots).
  public var activationBytes: Int { slots.reduce(0) { $0 + ($1?.bytes ?? 0) } }

  /// Activation slots: how many micro-batches may be between their forward and backward at once.
  /// Changing it frees the activations.
  public var slotCount: Int {
    get { slots.count }
    set {
      precondition(newValue >= 1)
      slots = Array(repeating: nil, count: newValue)
      slotTokens = Array(repeating: [], count: newValue)
      slotTargets = Array(repeating: [], count: newValue)
    }
  }

  /// Activation recomputation: the forward pass keeps only each block's input, and the
  /// backward runs a block's forward again right before its backward. Costs one more forward
  /// pass of every block but the last; losses and gradients are bit-identical (the same kernels run on the
  /// same inputs). Changing it frees the activations.
  public var recomputesBlocks = false {
    didSet { if recomputesBlocks != oldValue { slotCount = slots.count } }
  }

  private func prepare(slot: Int, batch: Int, seqLen: Int) throws -> Activations {
    guard seqLen >= 1, seqLen <= config.nCtx else {
      throw SwiftletError("sequence length \(seqLen) must be between 1 and n_ctx = \(config.nCtx)")
    }
    if let a = slots[slot], a.batch == batch, a.seqLen == seqLen { return a }
    slots[slot] = nil  // free the old arena before allocating the new one
    let a = Activations(layout: layout, batch: batch, seqLen: seqLen, recomputesBlocks: recomputesBlocks)
    slots[slot] = a
    return a
  }

  /// Where a later stage's forward reads its input `[B, T, C]`: receive the previous stage's
  /// output here before calling `forward`.
  public func stageInput(slot: Int, batch: Int, seqLen: Int) throws -> FloatPointer {
    let a = try prepare(slot: slot, batch: batch, seqLen: seqLen)
    return blocks.isEmpty ? a.residualOut : a.blocks[0].residualIn
  }

  /// A non-last stage's forward output `[B, T, C]` (valid until the slot's next forward).
  public func stageOutput(slot: Int) -> FloatPointer { slots[slot]!.residualOut }

  /// Where a non-last stage's backward reads ∂L/∂output: receive the next stage's
  /// `inputGradient` here before calling `backward`.
  public func outputGradient(slot: Int) -> FloatPointer { slots[slot]!.dResidual }

  /// ∂L/∂input `[B, T, C]` of a non-first stage after its backward (valid until the slot's next
  /// backward).
  public func inputGradient(slot: Int) -> FloatPointer { slots[slot]!.dResidual }

  /// Runs the forward pass on `inputs[B·T]`; with `targets` it also computes the per-token
  /// cross-entropy and returns the SUM of the losses over this rank's `B·T` tokens.
  ///
  /// A later pipeline stage starts from `stageInput(slot:)` instead of the tokens (give it the
  /// same `inputs`, or an empty array); a non-last stage stops at `stageOutput(slot:)` and
  /// returns 0.
  @discardableResult
  public func forward(inputs: [Int32], targets: [Int32]?, batch: Int, seqLen: Int, slot: Int = 0) throws -> Double {
    let a = try prepare(slot: slot, batch: batch, seqLen: seqLen)
    let n = batch * seqLen
    precondition((inputs.count == n || !stage.isFirst) && (targets == nil || targets!.count == n || !stage.isLast))
    slotTargets[slot] = stage.isLast ? targets ?? [] : []
    if stage.isFirst {
      try checkVocabulary(inputs)
      slotTokens[slot] = inputs
    }
    try forward(a, inputs: inputs)
    guard stage.isLast, let targets else { return 0 }
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

  /// Throws when a token id is outside the vocabulary.
  func checkVocabulary(_ tokens: [Int32]) throws {
    for token in tokens where token < 0 || Int(token) >= config.vocabSize {
      throw SwiftletError("token id \(token) is outside the vocabulary [0, \(config.vocabSize))")
    }
  }

  /// This stage's forward pass on `a` up to the logits: the embeddings of `inputs` at positions
  /// `firstPosition ..< firstPosition + T` (first stage), the blocks, the head (last stage).
  /// `attention(i)` is block `i`'s attention core; nil runs causal attention over the whole
  /// sequences (the KV-cache decoder passes its cache).
  func forward(
    _ a: Activations, inputs: [Int32], firstPosition: Int = 0,
    attention: (Int) -> (any AttentionCore)? = { _ in nil }
  ) throws {
    let n = a.rows
    let c = config.dModel
    let w = parameters.base
    let shard = vocabShard

    if stage.isFirst, let wte, let wpeOffset {
      // Embeddings: the vocabulary-parallel lookup is a row-parallel layer, left through g.
      let x0 = blocks.isEmpty ? a.residualOut : a.blocks[0].residualIn
      let e = config.embeddingDim
      let lookup = projectIn == nil ? x0 : a.embedded
      inputs.withUnsafeBufferPointer {
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
      positionEmbeddingForward(
        x: x0, table: w + wpeOffset + firstPosition * c, batch: a.batch, seqLen: a.seqLen, channels: c)
      PhaseProfile.lap(.embeddingForward)
    }

    for (i, block) in blocks.enumerated() {
      let output = i + 1 < blocks.count ? a.blocks[i + 1].residualIn : a.residualOut
      try block.forward(a.blocks[i], output: output, scratch: a, weights: w, attention: attention(i))
    }

    guard stage.isLast, let wte else { return }
    // Head: [final LayerNorm], [project_out], then logits over this rank's vocabulary shard
    // (column-parallel, entered through f).
    let e = config.embeddingDim
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
  }

  /// Per-token losses of the last forward pass in slot 0 (`B·T`).
  public var lastLosses: UnsafeBufferPointer<Float> {
    let a = slots[0]!
    return UnsafeBufferPointer(start: a.losses, count: a.rows)
  }

  /// Logits of the last forward pass in slot 0 for this rank's vocabulary shard: `[B·T, Vshard]`
  /// (padded columns included). Valid until `backward()` overwrites them with their gradient.
  public var lastLogits: UnsafeBufferPointer<Float> {
    let a = slots[0]!
    return UnsafeBufferPointer(start: a.logits, count: a.rows * vocabShard.count)
  }

  /// Back-propagates `lossScale · Σ losses` of the slot's last forward pass, ACCUMULATING into
  /// `gradients` (zero them between optimizer steps). When `buckets` is given, each bucket's
  /// data-parallel allreduce starts as soon as its gradients are final. A non-last pipeline
  /// stage starts from the gradient received into `outputGradient(slot:)`.
  public func backward(lossScale: Float, buckets: GradientBuckets? = nil, slot: Int = 0) throws {
    guard let a = slots[slot], !stage.isLast || !slotTargets[slot].isEmpty else {
      preconditionFailure("backward() needs a forward pass with targets")
    }
    let n = a.rows
    let c = config.dModel
    let w = parameters.base
    let grads = gradients.base
    let shard = vocabShard
    let e = config.embeddingDim
    // The token table's lookup gradient can wait for a sparse exchange only when the tied head
    // and the lookup live on this one stage (see `finishBackward`).
    let deferLookup = stage.count == 1 && (buckets.map { $0.isActive && $0.groupSize * n < shard.count } ?? false)
    if stage.isLast, let wte {
      try headBackward(a, wte: wte, lossScale: lossScale, deferLookup: deferLookup, buckets: buckets, slot: slot)
    }

    for i in stride(from: blocks.count - 1, through: 0, by: -1) {
      if a.recomputesBlocks && i < blocks.count - 1 {
        // Refill the shared buffers from the kept input (the last block's are still in place
        // from the forward pass). The block's output is not needed: it goes to dNorm, which
        // the backward overwrites before reading; the forward's scratch (projection, activationOut,
        // attentionScratch) carries nothing between blocks, and dResidual, the running
        // gradient, is not touched.
        try blocks[i].forward(a.blocks[i], output: a.dNorm, scratch: a, weights: w)
      }
      try blocks[i].backward(a.blocks[i], scratch: a, weights: w, gradients: grads)
      try buckets?.bucketReady(.init(offset: blocks[i].span.offset, count: blocks[i].span.count))
      try buckets?.progress()
    }

    guard stage.isFirst, let wte, let wpeOffset else { return }
    // Embeddings (g's backward is the identity: every rank gets the full gradient).
    positionEmbeddingBackward(
      dtable: grads + wpeOffset, dout: a.dResidual, batch: a.batch, seqLen: a.seqLen, channels: c)
    if let projectIn {
      linearBackward(
        dinp: a.dEmbedded, dweight: grads + projectIn, dbias: nil, dout: a.dResidual, inp: a.embedded,
        weight: w + projectIn, rows: n, inFeatures: e, outFeatures: c, layout: .outputMajor)
    }
    let dLookup = lookupGradient(a)
    region.reduceFromRegionBackward(dLookup, count: n * e)
    let positionTable = layout[layout.names.positionEmbedding + ".weight"].offset
    let embeddingsEnd = blocks.first?.span.offset ?? headTensorsOffset
    if deferLookup {
      pendingLookupSlot = slot
      try buckets?.bucketReady(.init(offset: positionTable, count: embeddingsEnd - positionTable))
    } else {
      slotTokens[slot].withUnsafeBufferPointer {
        tokenEmbeddingBackward(
          dtable: grads + wte.offset, dout: dLookup, tokens: $0.baseAddress!, firstRow: shard.first,
          rows: shard.count, count: n, channels: e)
      }
      try buckets?.bucketReady(.init(offset: 0, count: embeddingsEnd))
    }
    PhaseProfile.lap(.embeddingBackward)
  }

  /// The last stage's backward from the loss to ∂L/∂(last block's output) in `a.dResidual`:
  /// cross-entropy, the tied LM head, [project_out], [final LayerNorm].
  private func headBackward(
    _ a: Activations, wte: ParameterTensor, lossScale: Float, deferLookup: Bool, buckets: GradientBuckets?,
    slot: Int
  ) throws {
    let (n, c, e) = (a.rows, config.dModel, config.embeddingDim)
    let (w, grads, shard) = (parameters.base, gradients.base, vocabShard)
    let hidden = headInput(a)
    // ∂L/∂hidden is E wide: it has its own buffer when E ≠ C.
    let dHidden = projectOut == nil ? a.dNorm : a.dEmbedded

    // Cross-entropy and LM head.
    slotTargets[slot].withUnsafeBufferPointer {
      crossEntropy.backward(
        logits: a.logits, statistics: a.lossStatistics, targets: $0.baseAddress!, rows: n,
        gradScale: lossScale)
    }
    PhaseProfile.lap(.crossEntropyBackward)
    gemm(grads + wte.offset, a.logits, hidden, m: shard.count, n: e, k: n, transposeA: true, beta: 1)
    // The tied head's part of ∂wte is now complete. When the data-parallel ranks' embedding
    // lookups touch few rows, send the big table now (it then overlaps all the blocks' backward)
    // and exchange the lookup gradient later as sparse rows; otherwise send wte with wpe at the end.
    // A last stage without the lookup (pipeline) sends its copy now too.
    if deferLookup || !stage.isFirst { try buckets?.bucketReady(.init(offset: wte.offset, count: wte.count)) }
    gemm(dHidden, a.logits, w + wte.offset, m: n, n: e, k: shard.count)
    PhaseProfile.lap(.lmHeadBackward)
    try region.copyToRegionBackward(dHidden, count: n * e)
    PhaseProfile.lap(.tensorParallel)
    if let projectOut {
      linearBackward(
        dinp: a.dNorm, dweight: grads + projectOut, dbias: nil, dout: a.dEmbedded, inp: normalizedOutput(a),
        weight: w + projectOut, rows: n, inFeatures: c, outFeatures: e, layout: .outputMajor)
    }
    if let lnf {
      a.dResidual.update(repeating: 0, count: n * c)
      layerNormBackward(
        dinp: a.dResidual, dweight: grads + lnf.weight, dbias: grads + lnf.bias, dout: a.dNorm,
        inp: a.residualOut, weight: w + lnf.weight, mean: a.lnfMean, rstd: a.lnfRstd, rows: n,
        channels: c)
    } else {
      a.dResidual.update(from: a.dNorm, count: n * c)
    }
    PhaseProfile.lap(.layerNormBackward)
    if headTensorsOffset < layout.count {
      try buckets?.bucketReady(.init(offset: headTensorsOffset, count: layout.count - headTensorsOffset))
    }
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

  /// The slot whose token-embedding lookup gradient `backward` left to `finishBackward`.
  private var pendingLookupSlot: Int?

  /// Completes the gradients after `buckets.finish()`: adds every data-parallel rank's
  /// token-embedding lookup gradient rows (deferred by `backward`) to the summed table.
  public func finishBackward(buckets: GradientBuckets) throws {
    guard let slot = pendingLookupSlot, let a = slots[slot], let wte else { return }
    pendingLookupSlot = nil
    let e = config.embeddingDim
    let shard = vocabShard
    let gathered = try buckets.gatherRows(tokens: slotTokens[slot], rows: lookupGradient(a), width: e)
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
