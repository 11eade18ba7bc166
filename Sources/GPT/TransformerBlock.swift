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
  /// The tensor-parallel group the block's `f` and `g` communicate over.
  let region: TensorParallelRegion

  init(index i: Int, layout: ParameterLayout, region: TensorParallelRegion) {
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
    self.region = region
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
    attention core: (any AttentionCore)? = nil
  ) throws {
    let params = tensors.in(weights)
    let core = core ?? attention
    switch architecture.layerNorm {
    case .pre:
      // h = x + Attention(LN₁(x)); y = h + MLP(LN₂(h))
      layerNorm(params.attentionNorm, a.residualIn, out: a.ln1, mean: a.ln1Mean, rstd: a.ln1Rstd, scratch: s)
      try attentionForward(input: a.ln1, a, scratch: s, params: params, core: core)
      residual(a.residualMid, a.residualIn, plus: s.projection, scratch: s)
      layerNorm(params.mlpNorm, a.residualMid, out: a.ln2, mean: a.ln2Mean, rstd: a.ln2Rstd, scratch: s)
      try mlpForward(input: a.ln2, a, scratch: s, params: params)
      residual(output, a.residualMid, plus: s.projection, scratch: s)
    case .post:
      // h = LN₁(x + Attention(x)); y = LN₂(h + MLP(h))
      try attentionForward(input: a.residualIn, a, scratch: s, params: params, core: core)
      residual(a.residualMid, a.residualIn, plus: s.projection, scratch: s)
      layerNorm(params.attentionNorm, a.residualMid, out: a.ln1, mean: a.ln1Mean, rstd: a.ln1Rstd, scratch: s)
      try mlpForward(input: a.ln1, a, scratch: s, params: params)
      residual(a.ln2, a.ln1, plus: s.projection, scratch: s)
      layerNorm(params.mlpNorm, a.ln2, out: output, mean: a.ln2Mean, rstd: a.ln2Rstd, scratch: s)
    }
  }

  /// Given ∂L/∂output in `s.dResidual`, accumulates the block's parameter gradients into the
  /// `gradients` arena and leaves ∂L/∂input in `s.dResidual`.
  func backward(
    _ a: Activations.Block, scratch s: Activations, weights: FloatPointer, gradients: FloatPointer
  ) throws {
    let n = s.rows
    let c = channels
    let dRes = s.dResidual
    let params = tensors.in(weights)
    let grads = tensors.in(gradients)
    switch architecture.layerNorm {
    case .pre:
      // y = h + MLP(LN₂(h)): ∂h = ∂y + LN₂ᵀ(MLPᵀ(∂y))
      try mlpBackward(input: a.ln2, a, scratch: s, params: params, grads: grads)
      layerNormBackward(
        dinp: dRes, dweight: grads.mlpNorm.weight, dbias: grads.mlpNorm.bias, dout: s.dNorm, inp: a.residualMid,
        weight: params.mlpNorm.weight, mean: a.ln2Mean, rstd: a.ln2Rstd, rows: n, channels: c)
      PhaseProfile.lap(.layerNormBackward)
      // h = x + Attention(LN₁(x))
      try attentionBackward(input: a.ln1, a, scratch: s, params: params, grads: grads)
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
      try mlpBackward(input: a.ln1, a, scratch: s, params: params, grads: grads)
      addInPlace(dRes, s.dNorm, count: n * c)
      PhaseProfile.lap(.residualBackward)
      // h = LN₁(v), v = x + Attention(x)
      layerNormBackwardReplacing(
        dRes, norm: params.attentionNorm, grads: grads.attentionNorm, inp: a.residualMid, mean: a.ln1Mean,
        rstd: a.ln1Rstd, scratch: s)
      PhaseProfile.lap(.layerNormBackward)
      try attentionBackward(input: a.residualIn, a, scratch: s, params: params, grads: grads)
      addInPlace(dRes, s.dNorm, count: n * c)
      PhaseProfile.lap(.residualBackward)
    }
  }

  // MARK: Sub-layers

  /// `s.projection = Proj(Attention(QKV(input)))`, entered through `f` and left through `g`.
  private func attentionForward(
    input: FloatPointer, _ a: Activations.Block, scratch s: Activations, params: BlockTensors<FloatPointer>,
    core: any AttentionCore
  ) throws {
    columnParallelForward(params.qkv, input: input, out: a.qkv, width: 3 * localWidth, scratch: s, .qkvForward)
    core.forward(
      out: a.attention, logSumExp: a.logSumExp, qkv: a.qkv, scratch: s.attentionScratch, batch: s.batch,
      seqLen: s.seqLen)
    PhaseProfile.lap(.attentionForward)
    try rowParallelForward(
      params.attentionOutput, input: a.attention, width: localWidth, scratch: s, .projectionForward)
  }

  /// `s.projection = FC₂(φ(FC₁(input)))`, entered through `f` and left through `g`.
  private func mlpForward(
    input: FloatPointer, _ a: Activations.Block, scratch s: Activations, params: BlockTensors<FloatPointer>
  ) throws {
    columnParallelForward(params.mlpUp, input: input, out: a.fcPre, width: localFFN, scratch: s, .mlpUpForward)
    architecture.activation.forward(out: s.activationOut, inp: a.fcPre, count: s.rows * localFFN)
    PhaseProfile.lap(.activationForward)
    try rowParallelForward(params.mlpDown, input: s.activationOut, width: localFFN, scratch: s, .mlpDownForward)
  }

  /// Given ∂L/∂(attention sub-layer output) in `s.dResidual`, accumulates its parameter gradients
  /// and writes ∂L/∂input (summed over the tensor-parallel ranks) to `s.dNorm`.
  private func attentionBackward(
    input: FloatPointer, _ a: Activations.Block, scratch s: Activations, params: BlockTensors<FloatPointer>,
    grads: BlockTensors<FloatPointer>
  ) throws {
    rowParallelBackward(
      params.attentionOutput, grads.attentionOutput, input: a.attention, dinp: s.dAttention, width: localWidth,
      scratch: s, .projectionBackward)
    attention.backward(
      dqkv: s.dWide, dout: s.dAttention, qkv: a.qkv, out: a.attention, logSumExp: a.logSumExp,
      scratch: s.attentionScratch, batch: s.batch, seqLen: s.seqLen)
    PhaseProfile.lap(.attentionBackward)
    try columnParallelBackward(params.qkv, grads.qkv, input: input, width: 3 * localWidth, scratch: s, .qkvBackward)
  }

  /// Given ∂L/∂(MLP sub-layer output) in `s.dResidual`, accumulates its parameter gradients and
  /// writes ∂L/∂input (summed over the tensor-parallel ranks) to `s.dNorm`.
  private func mlpBackward(
    input: FloatPointer, _ a: Activations.Block, scratch s: Activations, params: BlockTensors<FloatPointer>,
    grads: BlockTensors<FloatPointer>
  ) throws {
    // φ(fcPre) is recomputed, not stored; fcPre is overwritten with what φ's backward needs
    // (φ′ for GELU, from the same tanh): nothing reads it after this block's backward, and a
    // recomputing backward refills it first.
    architecture.activation.recomputeForBackward(out: s.activationOut, x: a.fcPre, count: s.rows * localFFN)
    PhaseProfile.lap(.activationBackward)
    rowParallelBackward(
      params.mlpDown, grads.mlpDown, input: s.activationOut, dinp: s.dWide, width: localFFN, scratch: s,
      .mlpDownBackward)
    architecture.activation.backward(grad: s.dWide, saved: a.fcPre, count: s.rows * localFFN)
    PhaseProfile.lap(.activationBackward)
    try columnParallelBackward(params.mlpUp, grads.mlpUp, input: input, width: localFFN, scratch: s, .mlpUpBackward)
  }

  // MARK: Megatron's parallel linear layers

  /// Column-parallel linear entered through `f`: `out = f(input)·A + a`, `input` being `[B·T, C]`
  /// and `out` this rank's `width` output features.
  private func columnParallelForward(
    _ m: ModuleTensors<FloatPointer>, input: FloatPointer, out: FloatPointer, width: Int, scratch s: Activations,
    _ phase: PhaseProfile.Phase
  ) {
    region.copyToRegionForward(input, count: s.rows * channels)
    linearForward(
      out: out, inp: input, weight: m.weight, bias: m.bias, rows: s.rows, inFeatures: channels, outFeatures: width,
      layout: architecture.weightLayout)
    PhaseProfile.lap(phase)
  }

  /// Backward of `columnParallelForward` from ∂L/∂out in `s.dWide`: accumulates `grads` and writes
  /// ∂L/∂input, summed over the ranks by `f`'s backward, to `s.dNorm`.
  private func columnParallelBackward(
    _ m: ModuleTensors<FloatPointer>, _ grads: ModuleTensors<FloatPointer>, input: FloatPointer, width: Int,
    scratch s: Activations, _ phase: PhaseProfile.Phase
  ) throws {
    linearBackward(
      dinp: s.dNorm, dweight: grads.weight, dbias: grads.bias, dout: s.dWide, inp: input, weight: m.weight,
      rows: s.rows, inFeatures: channels, outFeatures: width, layout: architecture.weightLayout)
    PhaseProfile.lap(phase)
    try region.copyToRegionBackward(s.dNorm, count: s.rows * channels)
    PhaseProfile.lap(.tensorParallel)
  }

  /// Row-parallel linear left through `g`: `s.projection = g(input·B) + b`, `input` being this
  /// rank's `width` features; the bias is added once, after the sum.
  private func rowParallelForward(
    _ m: ModuleTensors<FloatPointer>, input: FloatPointer, width: Int, scratch s: Activations,
    _ phase: PhaseProfile.Phase
  ) throws {
    linearForward(
      out: s.projection, inp: input, weight: m.weight, bias: nil, rows: s.rows, inFeatures: width,
      outFeatures: channels, layout: architecture.weightLayout)
    PhaseProfile.lap(phase)
    try region.reduceFromRegionForward(s.projection, count: s.rows * channels)
    PhaseProfile.lap(.tensorParallel)
    addRowVector(s.projection, m.bias, rowCount: s.rows, width: channels)
    PhaseProfile.lap(.residualForward)
  }

  /// Backward of `rowParallelForward` from ∂L/∂output in `s.dResidual`, whole on every rank (`g`'s
  /// backward is the identity): accumulates `grads` and writes this rank's ∂L/∂input to `dinp`.
  private func rowParallelBackward(
    _ m: ModuleTensors<FloatPointer>, _ grads: ModuleTensors<FloatPointer>, input: FloatPointer,
    dinp: FloatPointer, width: Int, scratch s: Activations, _ phase: PhaseProfile.Phase
  ) {
    region.reduceFromRegionBackward(s.dResidual, count: s.rows * channels)
    addColumnSums(into: grads.bias, s.dResidual, rows: s.rows, columns: channels)
    PhaseProfile.lap(.residualBackward)
    linearBackward(
      dinp: dinp, dweight: grads.weight, dbias: nil, dout: s.dResidual, inp: input, weight: m.weight, rows: s.rows,
      inFeatures: width, outFeatures: channels, layout: architecture.weightLayout)
    PhaseProfile.lap(phase)
  }

  /// `out = LayerNorm(inp)` with `norm`'s weight and bias; `mean` and `rstd` keep the row
  /// statistics for the backward.
  private func layerNorm(
    _ norm: ModuleTensors<FloatPointer>, _ inp: FloatPointer, out: FloatPointer, mean: FloatPointer,
    rstd: FloatPointer, scratch s: Activations
  ) {
    layerNormForward(
      out: out, mean: mean, rstd: rstd, inp: inp, weight: norm.weight, bias: norm.bias, rows: s.rows,
      channels: channels)
    PhaseProfile.lap(.layerNormForward)
  }

  /// `out = x + y`, the residual connection around a sub-layer.
  private func residual(_ out: FloatPointer, _ x: FloatPointer, plus y: FloatPointer, scratch s: Activations) {
    residualForward(out: out, x, y, count: s.rows * channels)
    PhaseProfile.lap(.residualForward)
  }

  /// Post-LayerNorm: replaces ∂L/∂(LayerNorm output) in `grad` by ∂L/∂(LayerNorm input),
  /// through `s.projection` (free during the backward pass).
  private func layerNormBackwardReplacing(
    _ grad: FloatPointer, norm: ModuleTensors<FloatPointer>, grads: ModuleTensors<FloatPointer>,
    inp: FloatPointer, mean: FloatPointer, rstd: FloatPointer, scratch s: Activations
  ) {
    let count = s.rows * channels
    s.projection.update(repeating: 0, count: count)
    layerNormBackward(
      dinp: s.projection, dweight: grads.weight, dbias: grads.bias, dout: grad, inp: inp, weight: norm.weight,
      mean: mean, rstd: rstd, rows: s.rows, channels: channels)
    grad.update(from: s.projection, count: count)
  }
}
