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

  /// Per block (post-LayerNorm blocks store LayerNorm inputs where noted; see `TransformerBlock`).
  struct Block {
    var residualIn: FloatPointer  // [B, T, C] block input
    var ln1: FloatPointer  // [B, T, C] (post-LN: h, the LN₁ output)
    var ln1Mean: FloatPointer  // [B, T]
    var ln1Rstd: FloatPointer  // [B, T]
    var qkv: FloatPointer  // [B, T, 3·Cl]
    var attention: FloatPointer  // [B, T, Cl]
    var logSumExp: FloatPointer  // [B, Hl, T]
    var residualMid: FloatPointer  // [B, T, C] after the attention residual
    var ln2: FloatPointer  // [B, T, C] (post-LN: h + MLP(h), the LN₂ input)
    var ln2Mean: FloatPointer  // [B, T]
    var ln2Rstd: FloatPointer  // [B, T]
    var fcPre: FloatPointer  // [B, T, Fl] before the activation
  }

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
    /// A block's buffers as arena offsets. With recomputation only `residualIn` is the block's
    /// own; the rest is one set that every block shares.
    struct BlockOffsets {
      var residualIn = 0
      var ln1 = 0
      var ln1Mean = 0
      var ln1Rstd = 0
      var qkv = 0
      var attention = 0
      var logSumExp = 0
      var residualMid = 0
      var ln2 = 0
      var ln2Mean = 0
      var ln2Rstd = 0
      var fcPre = 0
    }
    /// Everything of a block but its input.
    func reserveRest() -> BlockOffsets {
      var o = BlockOffsets()
      o.ln1 = reserve(n * c)
      o.ln1Mean = reserve(n)
      o.ln1Rstd = reserve(n)
      o.qkv = reserve(n * 3 * cl)
      o.attention = reserve(n * cl)
      o.logSumExp = reserve(batch * hl * seqLen)
      o.residualMid = reserve(n * c)
      o.ln2 = reserve(n * c)
      o.ln2Mean = reserve(n)
      o.ln2Rstd = reserve(n)
      o.fcPre = reserve(n * fl)
      return o
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
    blocks = blockOffsets.map { o in
      Block(
        residualIn: base + o.residualIn, ln1: base + o.ln1, ln1Mean: base + o.ln1Mean, ln1Rstd: base + o.ln1Rstd,
        qkv: base + o.qkv, attention: base + o.attention, logSumExp: base + o.logSumExp,
        residualMid: base + o.residualMid, ln2: base + o.ln2, ln2Mean: base + o.ln2Mean, ln2Rstd: base + o.ln2Rstd,
        fcPre: base + o.fcPre)
    }
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

  /// Bytes held.
  var bytes: Int { arena.count * 4 }
}
