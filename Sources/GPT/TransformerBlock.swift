import Kernels
import Parallel

/// One pre-LayerNorm transformer block (GPT-2):
///
///     h = x + Proj(Attention(LN₁(x)))      — QKV column-parallel, Proj row-parallel
///     y = h + MLP(LN₂(h)),  MLP = FC₂ ∘ GELU ∘ FC₁   — FC₁ column-parallel, FC₂ row-parallel
///
/// Under tensor parallelism each rank owns `heads/tp` heads and `F/tp` MLP features; the only
/// communication is Megatron's `f` before each column-parallel layer and `g` after each
/// row-parallel one (see `TensorParallelRegion`).
struct TransformerBlock {
  /// Arena offsets of the block's tensors (parameters and gradients share offsets).
  let ln1Weight, ln1Bias, qkvWeight, qkvBias, projWeight, projBias: Int
  let ln2Weight, ln2Bias, fcWeight, fcBias, fcProjWeight, fcProjBias: Int
  /// The block's gradient bucket.
  let span: (offset: Int, count: Int)

  let channels: Int  // C
  let localWidth: Int  // Cl = C / tp
  let localFFN: Int  // Fl = F / tp
  let attention: CausalAttention

  init(index i: Int, layout: ParameterLayout) {
    let p = "transformer.h.\(i)."
    let names = [
      "ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias", "attn.c_proj.weight",
      "attn.c_proj.bias", "ln_2.weight", "ln_2.bias", "mlp.c_fc.weight", "mlp.c_fc.bias",
      "mlp.c_proj.weight", "mlp.c_proj.bias",
    ].map { p + $0 }
    let o = names.map { layout[$0].offset }
    (ln1Weight, ln1Bias, qkvWeight, qkvBias, projWeight, projBias) = (o[0], o[1], o[2], o[3], o[4], o[5])
    (ln2Weight, ln2Bias, fcWeight, fcBias, fcProjWeight, fcProjBias) = (o[6], o[7], o[8], o[9], o[10], o[11])
    span = layout.span(of: names)
    let config = layout.config
    channels = config.dModel
    localWidth = config.dModel / layout.tpSize
    localFFN = config.ffnDim / layout.tpSize
    attention = CausalAttention(heads: config.nHead / layout.tpSize, headDim: config.headDim)
  }

  /// Computes `output` from `a.residualIn`, filling the block's saved activations.
  func forward(
    _ a: Activations.Block, output: FloatPointer, scratch s: Activations, weights w: FloatPointer,
    region: TensorParallelRegion
  ) throws {
    let n = s.batch * s.seqLen
    let c = channels
    // Attention sub-layer.
    layerNormForward(
      out: a.ln1, mean: a.ln1Mean, rstd: a.ln1Rstd, inp: a.residualIn, weight: w + ln1Weight,
      bias: w + ln1Bias, rows: n, channels: c)
    region.copyToRegionForward(a.ln1, count: n * c)
    linearForward(
      out: a.qkv, inp: a.ln1, weight: w + qkvWeight, bias: w + qkvBias, rows: n, inFeatures: c,
      outFeatures: 3 * localWidth)
    attention.forward(
      out: a.attention, logSumExp: a.logSumExp, qkv: a.qkv, scratch: s.attentionScratch,
      batch: s.batch, seqLen: s.seqLen)
    linearForward(
      out: s.projection, inp: a.attention, weight: w + projWeight, bias: nil, rows: n,
      inFeatures: localWidth, outFeatures: c)
    try region.reduceFromRegionForward(s.projection, count: n * c)
    addRowVector(s.projection, w + projBias, rowCount: n, width: c)  // bias once, after the sum
    residualForward(out: a.residualMid, a.residualIn, s.projection, count: n * c)

    // MLP sub-layer.
    layerNormForward(
      out: a.ln2, mean: a.ln2Mean, rstd: a.ln2Rstd, inp: a.residualMid, weight: w + ln2Weight,
      bias: w + ln2Bias, rows: n, channels: c)
    region.copyToRegionForward(a.ln2, count: n * c)
    linearForward(
      out: a.fcPre, inp: a.ln2, weight: w + fcWeight, bias: w + fcBias, rows: n, inFeatures: c,
      outFeatures: localFFN)
    geluForward(out: s.geluOut, inp: a.fcPre, count: n * localFFN)
    linearForward(
      out: s.projection, inp: s.geluOut, weight: w + fcProjWeight, bias: nil, rows: n,
      inFeatures: localFFN, outFeatures: c)
    try region.reduceFromRegionForward(s.projection, count: n * c)
    addRowVector(s.projection, w + fcProjBias, rowCount: n, width: c)
    residualForward(out: output, a.residualMid, s.projection, count: n * c)
  }

  /// Given ∂L/∂output in `s.dResidual`, accumulates the block's parameter gradients into `g`
  /// and leaves ∂L/∂input in `s.dResidual`.
  func backward(
    _ a: Activations.Block, scratch s: Activations, weights w: FloatPointer, gradients g: FloatPointer,
    region: TensorParallelRegion
  ) throws {
    let n = s.batch * s.seqLen
    let c = channels
    let dRes = s.dResidual

    // MLP sub-layer: y = h + FC₂(GELU(FC₁(LN₂(h)))) + b₂
    region.reduceFromRegionBackward(dRes, count: n * c)
    addColumnSums(into: g + fcProjBias, dRes, rows: n, columns: c)
    geluForward(out: s.geluOut, inp: a.fcPre, count: n * localFFN)  // recompute, not stored
    linearBackward(
      dinp: s.dWide, dweight: g + fcProjWeight, dbias: nil, dout: dRes, inp: s.geluOut,
      weight: w + fcProjWeight, rows: n, inFeatures: localFFN, outFeatures: c)
    geluBackward(grad: s.dWide, inp: a.fcPre, count: n * localFFN)
    linearBackward(
      dinp: s.dNorm, dweight: g + fcWeight, dbias: g + fcBias, dout: s.dWide, inp: a.ln2,
      weight: w + fcWeight, rows: n, inFeatures: c, outFeatures: localFFN)
    try region.copyToRegionBackward(s.dNorm, count: n * c)
    layerNormBackward(
      dinp: dRes, dweight: g + ln2Weight, dbias: g + ln2Bias, dout: s.dNorm, inp: a.residualMid,
      weight: w + ln2Weight, mean: a.ln2Mean, rstd: a.ln2Rstd, rows: n, channels: c)

    // Attention sub-layer: h = x + Proj(Attention(QKV(LN₁(x)))) + b
    region.reduceFromRegionBackward(dRes, count: n * c)
    addColumnSums(into: g + projBias, dRes, rows: n, columns: c)
    linearBackward(
      dinp: s.dAttention, dweight: g + projWeight, dbias: nil, dout: dRes, inp: a.attention,
      weight: w + projWeight, rows: n, inFeatures: localWidth, outFeatures: c)
    attention.backward(
      dqkv: s.dWide, dout: s.dAttention, qkv: a.qkv, out: a.attention, logSumExp: a.logSumExp,
      scratch: s.attentionScratch, batch: s.batch, seqLen: s.seqLen)
    linearBackward(
      dinp: s.dNorm, dweight: g + qkvWeight, dbias: g + qkvBias, dout: s.dWide, inp: a.ln1,
      weight: w + qkvWeight, rows: n, inFeatures: c, outFeatures: 3 * localWidth)
    try region.copyToRegionBackward(s.dNorm, count: n * c)
    layerNormBackward(
      dinp: dRes, dweight: g + ln1Weight, dbias: g + ln1Bias, dout: s.dNorm, inp: a.residualIn,
      weight: w + ln1Weight, mean: a.ln1Mean, rstd: a.ln1Rstd, rows: n, channels: c)
  }
}
