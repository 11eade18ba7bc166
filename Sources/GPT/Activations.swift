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

  var blocks: [Block] = []
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
  let geluOut: FloatPointer  // [B, T, Fl] activation output (GELU or ReLU), recomputed in backward
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

    var sizes: [Int] = []
    func reserve(_ count: Int) -> Int {
      sizes.append((count + 15) / 16 * 16)
      return sizes.count - 1
    }
    // Slot 0 is the block input; slots 1… the rest, shared by all layers when recomputing.
    func reserveRest() -> [Int] {
      [
        reserve(n * c), reserve(n), reserve(n), reserve(n * 3 * cl), reserve(n * cl),
        reserve(batch * hl * seqLen), reserve(n * c), reserve(n * c), reserve(n), reserve(n),
        reserve(n * fl),
      ]
    }
    let sharedRest = recomputesBlocks && layers > 0 ? reserveRest() : []
    var blockSlots: [[Int]] = []
    for _ in 0..<layers {
      blockSlots.append([reserve(n * c)] + (recomputesBlocks ? sharedRest : reserveRest()))
    }
    let headSlots = [
      reserve(n * c), reserve(n * c), reserve(n), reserve(n), reserve(n * vl), reserve(n), reserve(3 * n),
      reserve(n * c), reserve(n * fl), reserve(CausalAttention.scratchCount(seqLen: seqLen)),
      reserve(n * c), reserve(n * c), reserve(n * max(3 * cl, fl)), reserve(n * cl),
      reserve(projected), reserve(projected), reserve(projected),
    ]
    arena = FloatArena(count: sizes.reduce(0, +))
    var offsets: [Int] = []
    var running = 0
    for size in sizes {
      offsets.append(running)
      running += size
    }
    let base = arena.base
    func p(_ slot: Int) -> FloatPointer { base + offsets[slot] }
    for s in blockSlots {
      blocks.append(
        Block(
          residualIn: p(s[0]), ln1: p(s[1]), ln1Mean: p(s[2]), ln1Rstd: p(s[3]), qkv: p(s[4]),
          attention: p(s[5]), logSumExp: p(s[6]), residualMid: p(s[7]), ln2: p(s[8]), ln2Mean: p(s[9]),
          ln2Rstd: p(s[10]), fcPre: p(s[11])))
    }
    residualOut = p(headSlots[0])
    lnf = p(headSlots[1])
    lnfMean = p(headSlots[2])
    lnfRstd = p(headSlots[3])
    logits = p(headSlots[4])
    losses = p(headSlots[5])
    lossStatistics = p(headSlots[6])
    projection = p(headSlots[7])
    geluOut = p(headSlots[8])
    attentionScratch = p(headSlots[9])
    dResidual = p(headSlots[10])
    dNorm = p(headSlots[11])
    dWide = p(headSlots[12])
    dAttention = p(headSlots[13])
    embedded = p(headSlots[14])
    headInput = p(headSlots[15])
    dEmbedded = p(headSlots[16])
  }

  /// Bytes held.
  var bytes: Int { arena.count * 4 }
}
