import Kernels
import Parallel

/// One transformer block, with its LayerNorms before (GPT-2, GPT-3, most OPT) or after (opt-350m)
/// the residual additions:
///
///     pre:  h = x + Attention(LN₁(x)),   y = h + MLP(LN₂(h))
///     post: h = LN₁(x + Attention(x)),   y = LN₂(h + MLP(h))
///
/// `Attention = Proj ∘ Core ∘ QKV` (QKV column-parallel, Proj row-parallel; the `AttentionCore`
/// is causal self-attention in training, a key/value cache in decoding) and
/// `MLP = FC₂ ∘ φ ∘ FC₁` (FC₁ column-parallel, FC₂ row-parallel), φ and the weight layout as the
/// family's `ModelArchitecture` says. Under tensor parallelism each rank owns `heads/tp` heads
/// and `F/tp` MLP features; the only communication is Megatron's `f` before each column-parallel
/// layer and `g` after each row-parallel one (see `TensorParallelRegion`).
struct TransformerBlock {
  /// The block's parameters by role; gradients share the offsets.
  let tensors: BlockTensors<Int>
  /// The block's gradient bucket.
  let span: (offset: Int, count: Int)

  let channels: Int  // C
  let localWidth: Int  // Cl = C / tp
  let localFFN: Int  // Fl = F / tp
  let attention: CausalAttention
  let architecture: ModelArchitecture

  init(index i: Int, layout: ParameterLayout) {
    let block = layout.names.block(i)
    tensors = BlockTensors(block, layout: layout)
    let modules: [String] =
      [block.attentionNorm, block.attentionOutput, block.mlpNorm, block.mlpUp, block.mlpDown] + block.qkv
    span = layout.span(of: modules.flatMap { module -> [String] in [module + ".weight", module + ".bias"] })
    let config = layout.config
    channels = config.dModel
    localWidth = config.dModel / layout.tpSize
    localFFN = config.ffnDim / layout.tpSize
    attention = CausalAttention(heads: config.nHead / layout.tpSize, headDim: config.headDim)
    architecture = config.architecture
  }

  /// Computes `output` from `a.residualIn`, filling the block's saved activations. `core` is
  /// the attention between the QKV and output projections; nil is training's causal attention
  /// over whole sequences.
  ///
  /// Pre-LayerNorm: `ln1`, `ln2` hold the LayerNorm outputs and `residualMid` is `h`.
  /// Post-LayerNorm: `residualMid` holds `x + Attention(x)`, `ln1` is `h` and `ln2` holds
  /// `h + MLP(h)` (each LayerNorm's input is what its backward needs).
  func forward(
    _ a: Activations.Block, output: FloatPointer, scratch s: Activations, weights: FloatPointer,
    region: TensorParallelRegion, attention core: (any AttentionCore)? = nil
  ) throws {
    let n = s.batch * s.seqLen
    let c = channels
    let params = tensors.in(weights)
    let core = core ?? attention
    switch architecture.layerNorm {
    case .pre:
      layerNormForward(
        out: a.ln1, mean: a.ln1Mean, rstd: a.ln1Rstd, inp: a.residualIn, weight: params.attentionNorm.weight,
        bias: params.attentionNorm.bias, rows: n, channels: c)
      PhaseProfile.lap(.layerNormForward)
      try attentionForward(input: a.ln1, a, scratch: s, params: params, region: region, core: core)
      residualForward(out: a.residualMid, a.residualIn, s.projection, count: n * c)
      PhaseProfile.lap(.residualForward)
      layerNormForward(
        out: a.ln2, mean: a.ln2Mean, rstd: a.ln2Rstd, inp: a.residualMid, weight: params.mlpNorm.weight,
        bias: params.mlpNorm.bias, rows: n, channels: c)
      PhaseProfile.lap(.layerNormForward)
      try mlpForward(input: a.ln2, a, scratch: s, params: params, region: region)
      residualForward(out: output, a.residualMid, s.projection, count: n * c)
      PhaseProfile.lap(.residualForward)
    case .post:
      try attentionForward(input: a.residualIn, a, scratch: s, params: params, region: region, core: core)
      residualForward(out: a.residualMid, a.residualIn, s.projection, count: n * c)
      PhaseProfile.lap(.residualForward)
      layerNormForward(
        out: a.ln1, mean: a.ln1Mean, rstd: a.ln1Rstd, inp: a.residualMid, weight: params.attentionNorm.weight,
        bias: params.attentionNorm.bias, rows: n, channels: c)
      PhaseProfile.lap(.layerNormForward)
      try mlpForward(input: a.ln1, a, scratch: s, params: params, region: region)
      residualForward(out: a.ln2, a.ln1, s.projection, count: n * c)
      PhaseProfile.lap(.residualForward)
      layerNormForward(
        out: output, mean: a.ln2Mean, rstd: a.ln2Rstd, inp: a.ln2, weight: params.mlpNorm.weight,
        bias: params.mlpNorm.bias, rows: n, channels: c)
      PhaseProfile.lap(.layerNormForward)
    }
  }

  /// Given ∂L/∂output in `s.dResidual`, accumulates the block's parameter gradients into the
  /// `gradients` arena and leaves ∂L/∂input in `s.dResidual`.
  func backward(
    _ a: Activations.Block, scratch s: Activations, weights: FloatPointer, gradients: FloatPointer,
    region: TensorParallelRegion
  ) throws {
    let n = s.batch * s.seqLen
    let c = channels
    let dRes = s.dResidual
    let params = tensors.in(weights)
    let grads = tensors.in(gradients)
    switch architecture.layerNorm {
    case .pre:
      // y = h + MLP(LN₂(h)): ∂h = ∂y + LN₂ᵀ(MLPᵀ(∂y))
      try mlpBackward(dout: dRes, input: a.ln2, a, scratch: s, params: params, grads: grads, region: region)
      layerNormBackward(
        dinp: dRes, dweight: grads.mlpNorm.weight, dbias: grads.mlpNorm.bias, dout: s.dNorm, inp: a.residualMid,
        weight: params.mlpNorm.weight, mean: a.ln2Mean, rstd: a.ln2Rstd, rows: n, channels: c)
      PhaseProfile.lap(.layerNormBackward)
      // h = x + Attention(LN₁(x))
      try attentionBackward(dout: dRes, input: a.ln1, a, scratch: s, params: params, grads: grads, region: region)
      layerNormBackward(
        dinp: dRes, dweight: grads.attentionNorm.weight, dbias: grads.attentionNorm.bias, dout: s.dNorm,
        inp: a.residualIn, weight: params.attentionNorm.weight, mean: a.ln1Mean, rstd: a.ln1Rstd, rows: n,
        channels: c)
      PhaseProfile.lap(.layerNormBackward)
    case .post:
      // y = LN₂(u), u = h + MLP(h): ∂u = LN₂ᵀ(∂y), ∂h = ∂u + MLPᵀ(∂u)
      layerNormBackwardReplacing(
        dRes, norm: params.mlpNorm, grads: grads.mlpNorm, inp: a.ln2, mean: a.ln2Mean, rstd: a.ln2Rstd, scratch: s)
      PhaseProfile.lap(.layerNormBackward)
      try mlpBackward(dout: dRes, input: a.ln1, a, scratch: s, params: params, grads: grads, region: region)
      addInPlace(dRes, s.dNorm, count: n * c)
      PhaseProfile.lap(.residualBackward)
      // h = LN₁(v), v = x + Attention(x)
      layerNormBackwardReplacing(
        dRes, norm: params.attentionNorm, grads: grads.attentionNorm, inp: a.residualMid, mean: a.ln1Mean,
        rstd: a.ln1Rstd, scratch: s)
      PhaseProfile.lap(.layerNormBackward)
      try attentionBackward(
        dout: dRes, input: a.residualIn, a, scratch: s, params: params, grads: grads, region: region)
      addInPlace(dRes, s.dNorm, count: n * c)
      PhaseProfile.lap(.residualBackward)
    }
  }

  // MARK: Sub-layers

  /// `s.projection = Proj(Attention(QKV(input)))`, entered through `f` and left through `g`.
  private func attentionForward(
    input: FloatPointer, _ a: Activations.Block, scratch s: Activations, params: BlockTensors<FloatPointer>,
    region: TensorParallelRegion, core: any AttentionCore
  ) throws {
    let n = s.batch * s.seqLen
    let c = channels
    let layout = architecture.weightLayout
    region.copyToRegionForward(input, count: n * c)
    linearForward(
      out: a.qkv, inp: input, weight: params.qkv.weight, bias: params.qkv.bias, rows: n, inFeatures: c,
      outFeatures: 3 * localWidth, layout: layout)
    PhaseProfile.lap(.qkvForward)
    core.forward(
      out: a.attention, logSumExp: a.logSumExp, qkv: a.qkv, scratch: s.attentionScratch, batch: s.batch,
      seqLen: s.seqLen)
    PhaseProfile.lap(.attentionForward)
    linearForward(
      out: s.projection, inp: a.attention, weight: params.attentionOutput.weight, bias: nil, rows: n,
      inFeatures: localWidth, outFeatures: c, layout: layout)
    PhaseProfile.lap(.projectionForward)
    try region.reduceFromRegionForward(s.projection, count: n * c)
    PhaseProfile.lap(.tensorParallel)
    addRowVector(s.projection, params.attentionOutput.bias, rowCount: n, width: c)  // bias once, after the sum
    PhaseProfile.lap(.residualForward)
  }

  /// `s.projection = FC₂(φ(FC₁(input)))`, entered through `f` and left through `g`.
  private func mlpForward(
    input: FloatPointer, _ a: Activations.Block, scratch s: Activations, params: BlockTensors<FloatPointer>,
    region: TensorParallelRegion
  ) throws {
    let n = s.batch * s.seqLen
    let c = channels
    let layout = architecture.weightLayout
    region.copyToRegionForward(input, count: n * c)
    linearForward(
      out: a.fcPre, inp: input, weight: params.mlpUp.weight, bias: params.mlpUp.bias, rows: n, inFeatures: c,
      outFeatures: localFFN, layout: layout)
    PhaseProfile.lap(.mlpUpForward)
    architecture.activation.forward(out: s.activationOut, inp: a.fcPre, count: n * localFFN)
    PhaseProfile.lap(.activationForward)
    linearForward(
      out: s.projection, inp: s.activationOut, weight: params.mlpDown.weight, bias: nil, rows: n,
      inFeatures: localFFN, outFeatures: c, layout: layout)
    PhaseProfile.lap(.mlpDownForward)
    try region.reduceFromRegionForward(s.projection, count: n * c)
    PhaseProfile.lap(.tensorParallel)
    addRowVector(s.projection, params.mlpDown.bias, rowCount: n, width: c)
    PhaseProfile.lap(.residualForward)
  }

  /// Given ∂L/∂(attention sub-layer output) in `dout`, accumulates its parameter gradients and
  /// writes ∂L/∂input (summed over the tensor-parallel ranks) to `s.dNorm`.
  private func attentionBackward(
    dout: FloatPointer, input: FloatPointer, _ a: Activations.Block, scratch s: Activations,
    params: BlockTensors<FloatPointer>, grads: BlockTensors<FloatPointer>, region: TensorParallelRegion
  ) throws {
    let n = s.batch * s.seqLen
    let c = channels
    let layout = architecture.weightLayout
    region.reduceFromRegionBackward(dout, count: n * c)
    addColumnSums(into: grads.attentionOutput.bias, dout, rows: n, columns: c)
    PhaseProfile.lap(.residualBackward)
    linearBackward(
      dinp: s.dAttention, dweight: grads.attentionOutput.weight, dbias: nil, dout: dout, inp: a.attention,
      weight: params.attentionOutput.weight, rows: n, inFeatures: localWidth, outFeatures: c, layout: layout)
    PhaseProfile.lap(.projectionBackward)
    attention.backward(
      dqkv: s.dWide, dout: s.dAttention, qkv: a.qkv, out: a.attention, logSumExp: a.logSumExp,
      scratch: s.attentionScratch, batch: s.batch, seqLen: s.seqLen)
    PhaseProfile.lap(.attentionBackward)
    linearBackward(
      dinp: s.dNorm, dweight: grads.qkv.weight, dbias: grads.qkv.bias, dout: s.dWide, inp: input,
      weight: params.qkv.weight, rows: n, inFeatures: c, outFeatures: 3 * localWidth, layout: layout)
    PhaseProfile.lap(.qkvBackward)
    try region.copyToRegionBackward(s.dNorm, count: n * c)
    PhaseProfile.lap(.tensorParallel)
  }

  /// Given ∂L/∂(MLP sub-layer output) in `dout`, accumulates its parameter gradients and writes
  /// ∂L/∂input (summed over the tensor-parallel ranks) to `s.dNorm`.
  private func mlpBackward(
    dout: FloatPointer, input: FloatPointer, _ a: Activations.Block, scratch s: Activations,
    params: BlockTensors<FloatPointer>, grads: BlockTensors<FloatPointer>, region: TensorParallelRegion
  ) throws {
    let n = s.batch * s.seqLen
    let c = channels
    let layout = architecture.weightLayout
    region.reduceFromRegionBackward(dout, count: n * c)
    addColumnSums(into: grads.mlpDown.bias, dout, rows: n, columns: c)
    PhaseProfile.lap(.residualBackward)
    // φ(fcPre) is recomputed, not stored; fcPre is overwritten with what φ's backward needs
    // (φ′ for GELU, from the same tanh): nothing reads it after this block's backward, and a
    // recomputing backward refills it first.
    architecture.activation.recomputeForBackward(out: s.activationOut, x: a.fcPre, count: n * localFFN)
    PhaseProfile.lap(.activationBackward)
    linearBackward(
      dinp: s.dWide, dweight: grads.mlpDown.weight, dbias: nil, dout: dout, inp: s.activationOut,
      weight: params.mlpDown.weight, rows: n, inFeatures: localFFN, outFeatures: c, layout: layout)
    PhaseProfile.lap(.mlpDownBackward)
    architecture.activation.backward(grad: s.dWide, saved: a.fcPre, count: n * localFFN)
    PhaseProfile.lap(.activationBackward)
    linearBackward(
      dinp: s.dNorm, dweight: grads.mlpUp.weight, dbias: grads.mlpUp.bias, dout: s.dWide, inp: input,
      weight: params.mlpUp.weight, rows: n, inFeatures: c, outFeatures: localFFN, layout: layout)
    PhaseProfile.lap(.mlpUpBackward)
    try region.copyToRegionBackward(s.dNorm, count: n * c)
    PhaseProfile.lap(.tensorParallel)
  }

  /// Post-LayerNorm: replaces ∂L/∂(LayerNorm output) in `grad` by ∂L/∂(LayerNorm input),
  /// through `s.projection` (free during the backward pass).
  private func layerNormBackwardReplacing(
    _ grad: FloatPointer, norm: ModuleTensors<FloatPointer>, grads: ModuleTensors<FloatPointer>,
    inp: FloatPointer, mean: FloatPointer, rstd: FloatPointer, scratch s: Activations
  ) {
    let count = s.batch * s.seqLen * channels
    s.projection.update(repeating: 0, count: count)
    layerNormBackward(
      dinp: s.projection, dweight: grads.weight, dbias: grads.bias, dout: grad, inp: inp, weight: norm.weight,
      mean: mean, rstd: rstd, rows: s.batch * s.seqLen, channels: channels)
    grad.update(from: s.projection, count: count)
  }
}
