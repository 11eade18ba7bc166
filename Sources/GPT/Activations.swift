import Kernels

/// Everything the forward pass keeps for the backward pass, for one micro-batch shape, in one
/// arena. Widths are local: `Cl = C/tp` attention width, `Fl = F/tp` MLP width, `Vl` vocabulary
/// shard. About `(4·C + 4·Cl + Fl)·B·T` floats per layer; no `B·H·T·T` attention matrices (the
/// attention backward recomputes them per head) and one logits buffer that the cross-entropy
/// backward overwrites with its own gradient.
///
/// With `recomputesBlocks` only each block's input `residualIn` stays per layer; the other
/// per-block buffers exist once and every `Block` points into that one set: after the forward
/// pass it holds the last block's, and `GPTModel.backward` refills it for each earlier block by
/// running that block's forward again.
final class Activations {
  let batch: Int
  let seqLen: Int
  let recomputesBlocks: Bool
  private let arena: FloatArena

  /// Per block (post-LayerNorm blocks store LayerNorm inputs where noted; see `TransformerBlock`):
  /// arena offsets (`Int`) while reserving, then pointers (`FloatPointer`).
  struct BlockBuffers<Location> {
    var residualIn: Location  // [B, T, C] block input
    var ln1: Location  // [B, T, C] (post-LN: h, the LN₁ output)
    var ln1Mean: Location  // [B, T]
    var ln1Rstd: Location  // [B, T]
    var qkv: Location  // [B, T, 3·Cl]
    var attention: Location  // [B, T, Cl]
    var logSumExp: Location  // [B, Hl, T]
    var residualMid: Location  // [B, T, C] after the attention residual
    var ln2: Location  // [B, T, C] (post-LN: h + MLP(h), the LN₂ input)
    var ln2Mean: Location  // [B, T]
    var ln2Rstd: Location  // [B, T]
    var fcPre: Location  // [B, T, Fl] before the activation

    /// The same buffers, each location transformed.
    func map<New>(_ transform: (Location) -> New) -> BlockBuffers<New> {
      BlockBuffers<New>(
        residualIn: transform(residualIn), ln1: transform(ln1), ln1Mean: transform(ln1Mean),
        ln1Rstd: transform(ln1Rstd), qkv: transform(qkv), attention: transform(attention),
        logSumExp: transform(logSumExp), residualMid: transform(residualMid), ln2: transform(ln2),
        ln2Mean: transform(ln2Mean), ln2Rstd: transform(ln2Rstd), fcPre: transform(fcPre))
    }
  }
  typealias Block = BlockBuffers<FloatPointer>

  let blocks: [Block]
  let residualOut: FloatPointer  // [B, T, C] output of the last block
  let lnf: FloatPointer  // [B, T, C]
  let lnfMean: FloatPointer
  let lnfRstd: FloatPointer
  let embedded: FloatPointer  // [B, T, E] token lookup before project_in (opt-350m; else empty)
  let headInput: FloatPointer  // [B, T, E] project_out output (opt-350m; else empty)
  let logits: FloatPointer  // [B, T, Vl]; gradient in place during backward
  let losses: FloatPointer  // [B, T]
  let lossStatistics: FloatPointer  // [3, B, T]
  // Scratch shared by all layers.
  let projection: FloatPointer  // [B, T, C] partial output of a row-parallel layer
  let activationOut: FloatPointer  // [B, T, Fl] activation output (GELU or ReLU), recomputed in backward
  let attentionScratch: FloatPointer  // 2·T·T
  // Gradient scratch.
  let dResidual: FloatPointer  // [B, T, C] the running ∂L/∂residual
  let dNorm: FloatPointer  // [B, T, C] ∂L/∂(LayerNorm output)
  let dWide: FloatPointer  // [B, T, max(3·Cl, Fl)]
  let dAttention: FloatPointer  // [B, T, Cl]
  let dEmbedded: FloatPointer  // [B, T, E] ∂L/∂embedded and ∂L/∂headInput (opt-350m; else empty)

  init(layout: ParameterLayout, batch: Int, seqLen: Int, recomputesBlocks: Bool = false) {
    self.batch = batch
    self.seqLen = seqLen
    self.recomputesBlocks = recomputesBlocks
    let config = layout.config
    let n = batch * seqLen
    let c = config.dModel
    let cl = c / layout.tpSize
    let fl = config.ffnDim / layout.tpSize
    let hl = config.nHead / layout.tpSize
    // Only the last pipeline stage computes logits.
    let vl = layout.stage.isLast ? layout.paddedVocab / layout.tpSize : 0
    let layers = layout.stage.layerCount
    let projected = config.projectsEmbeddings ? n * config.embeddingDim : 0

    // Every buffer is reserved by name: an offset into the one arena, rounded up to 64 bytes.
    var total = 0
    func reserve(_ count: Int) -> Int {
      defer { total += (count + 15) / 16 * 16 }
      return total
    }
    /// Everything of a block but its input (the caller sets `residualIn`). With recomputation
    /// this is one set that every block shares.
    func reserveRest() -> BlockBuffers<Int> {
      BlockBuffers(
        residualIn: 0, ln1: reserve(n * c), ln1Mean: reserve(n), ln1Rstd: reserve(n), qkv: reserve(n * 3 * cl),
        attention: reserve(n * cl), logSumExp: reserve(batch * hl * seqLen), residualMid: reserve(n * c),
        ln2: reserve(n * c), ln2Mean: reserve(n), ln2Rstd: reserve(n), fcPre: reserve(n * fl))
    }
    let shared = recomputesBlocks && layers > 0 ? reserveRest() : nil
    let blockOffsets = (0..<layers).map { _ in
      let input = reserve(n * c)
      var o = shared ?? reserveRest()
      o.residualIn = input
      return o
    }
    let residualOutAt = reserve(n * c)
    let lnfAt = reserve(n * c)
    let lnfMeanAt = reserve(n)
    let lnfRstdAt = reserve(n)
    let logitsAt = reserve(n * vl)
    let lossesAt = reserve(n)
    let lossStatisticsAt = reserve(3 * n)
    let projectionAt = reserve(n * c)
    let activationOutAt = reserve(n * fl)
    let attentionScratchAt = reserve(CausalAttention.scratchCount(seqLen: seqLen))
    let dResidualAt = reserve(n * c)
    let dNormAt = reserve(n * c)
    let dWideAt = reserve(n * max(3 * cl, fl))
    let dAttentionAt = reserve(n * cl)
    let embeddedAt = reserve(projected)
    let headInputAt = reserve(projected)
    let dEmbeddedAt = reserve(projected)

    arena = FloatArena(count: total)
    let base = arena.base
    blocks = blockOffsets.map { $0.map { base + $0 } }
    residualOut = base + residualOutAt
    lnf = base + lnfAt
    lnfMean = base + lnfMeanAt
    lnfRstd = base + lnfRstdAt
    logits = base + logitsAt
    losses = base + lossesAt
    lossStatistics = base + lossStatisticsAt
    projection = base + projectionAt
    activationOut = base + activationOutAt
    attentionScratch = base + attentionScratchAt
    dResidual = base + dResidualAt
    dNorm = base + dNormAt
    dWide = base + dWideAt
    dAttention = base + dAttentionAt
    embedded = base + embeddedAt
    headInput = base + headInputAt
    dEmbedded = base + dEmbeddedAt
  }

  /// `B·T`, the rows of every `[B, T, …]` buffer.
  var rows: Int { batch * seqLen }

  /// Bytes held.
  var bytes: Int { arena.count * 4 }
}
