import Kernels
import SwiftletCore

/// Autoregressive generation with a key/value cache: each new token costs one pass of
/// `O(n_layer · (C² + position · C))` instead of re-running the whole prefix.
///
/// Works on an unsharded model (tensor-parallel size 1), reusing its parameter arena, and
/// computes what `GPTModel.forward` computes for every family (`ModelArchitecture`).
public final class KVCacheDecoder {
  public let model: GPTModel
  private let c: Int
  private let e: Int
  private let f: Int
  private let heads: Int
  private let headDim: Int
  private let architecture: ModelArchitecture
  private let blocks: [TransformerBlock]
  private var keys: [FloatArena] = []  // per layer [n_ctx, C]
  private var values: [FloatArena] = []
  /// Tokens currently held in the cache.
  public private(set) var length = 0
  // Scratch for one position.
  private let x: FloatArena, normed: FloatArena, qkv: FloatArena, attention: FloatArena, embedded: FloatArena
  private let projection: FloatArena, hidden: FloatArena, scores: FloatArena, mean: FloatArena, rstd: FloatArena
  /// Logits over the real vocabulary after the last `append`.
  public let logits: FloatArena

  public init(model: GPTModel) throws {
    guard model.layout.tpSize == 1 else {
      throw SwiftletError("generation runs on one rank; load the checkpoint without tensor parallelism")
    }
    self.model = model
    let config = model.config
    c = config.dModel
    e = config.embeddingDim
    f = config.ffnDim
    heads = config.nHead
    headDim = config.headDim
    architecture = config.architecture
    blocks = (0..<config.nLayer).map { TransformerBlock(index: $0, layout: model.layout) }
    for _ in 0..<config.nLayer {
      keys.append(FloatArena(count: config.nCtx * c))
      values.append(FloatArena(count: config.nCtx * c))
    }
    x = FloatArena(count: c)
    normed = FloatArena(count: c)
    qkv = FloatArena(count: 3 * c)
    attention = FloatArena(count: c)
    embedded = FloatArena(count: e)
    projection = FloatArena(count: c)
    hidden = FloatArena(count: f)
    scores = FloatArena(count: config.nCtx)
    mean = FloatArena(count: 1)
    rstd = FloatArena(count: 1)
    logits = FloatArena(count: model.layout.paddedVocab)
  }

  /// Forgets the cached prefix.
  public func reset() { length = 0 }

  /// Feeds `token` at the next position and computes the logits for the one after it.
  public func append(_ token: Int) throws {
    let config = model.config
    guard length < config.nCtx else { throw SwiftletError("context of \(config.nCtx) tokens is full") }
    guard token >= 0 && token < config.vocabSize else {
      throw SwiftletError("token id \(token) is outside the vocabulary [0, \(config.vocabSize))")
    }
    let w = model.parameters.base
    let layout = model.layout
    let names = layout.names
    let position = length
    let wte = w + layout[names.tokenEmbedding + ".weight"].offset
    let wpe = w + layout[names.positionEmbedding + ".weight"].offset
    if config.projectsEmbeddings, let projectIn = names.projectIn {
      embedded.base.update(from: wte + token * e, count: e)
      linear(x.base, embedded.base, w + layout[projectIn + ".weight"].offset, nil, e, c, .outputMajor)
    } else {
      x.base.update(from: wte + token * c, count: c)
    }
    addInPlace(x.base, wpe + (position + architecture.positionOffset) * c, count: c)

    for (l, block) in blocks.enumerated() {
      let params = block.tensors.in(w)
      switch architecture.layerNorm {
      case .pre:  // x += Attention(LN₁(x)); x += MLP(LN₂(x))
        norm(normed.base, x.base, params.attentionNorm.weight, params.attentionNorm.bias)
        attentionStep(layer: l, block, input: normed.base, position: position)
        addInPlace(x.base, projection.base, count: c)
        norm(normed.base, x.base, params.mlpNorm.weight, params.mlpNorm.bias)
        mlpStep(block, input: normed.base)
        addInPlace(x.base, projection.base, count: c)
      case .post:  // x = LN₁(x + Attention(x)); x = LN₂(x + MLP(x))
        attentionStep(layer: l, block, input: x.base, position: position)
        addInPlace(x.base, projection.base, count: c)
        norm(x.base, x.base, params.attentionNorm.weight, params.attentionNorm.bias)
        mlpStep(block, input: x.base)
        addInPlace(x.base, projection.base, count: c)
        norm(x.base, x.base, params.mlpNorm.weight, params.mlpNorm.bias)
      }
    }
    var head = x.base
    if architecture.hasFinalLayerNorm {
      norm(
        normed.base, x.base, w + layout[names.finalNorm + ".weight"].offset,
        w + layout[names.finalNorm + ".bias"].offset)
      head = normed.base
    }
    if config.projectsEmbeddings, let projectOut = names.projectOut {
      linear(embedded.base, head, w + layout[projectOut + ".weight"].offset, nil, c, e, .outputMajor)
      head = embedded.base
    }
    gemm(logits.base, head, wte, m: 1, n: config.vocabSize, k: e, transposeB: true)
    length += 1
  }

  /// `projection = Proj(Attention(QKV(input)))`, caching this position's key and value.
  private func attentionStep(layer l: Int, _ block: TransformerBlock, input: FloatPointer, position: Int) {
    let params = block.tensors.in(model.parameters.base)
    let layout = architecture.weightLayout
    linear(qkv.base, input, params.qkv.weight, params.qkv.bias, c, 3 * c, layout)
    (keys[l].base + position * c).update(from: qkv.base + c, count: c)
    (values[l].base + position * c).update(from: qkv.base + 2 * c, count: c)
    attend(layer: l, position: position)
    linear(projection.base, attention.base, params.attentionOutput.weight, params.attentionOutput.bias, c, c, layout)
  }

  /// `projection = FC₂(φ(FC₁(input)))`.
  private func mlpStep(_ block: TransformerBlock, input: FloatPointer) {
    let params = block.tensors.in(model.parameters.base)
    let layout = architecture.weightLayout
    linear(hidden.base, input, params.mlpUp.weight, params.mlpUp.bias, c, f, layout)
    architecture.activation.forward(out: hidden.base, inp: hidden.base, count: f)
    linear(projection.base, hidden.base, params.mlpDown.weight, params.mlpDown.bias, f, c, layout)
  }

  /// One row through a dense layer.
  private func linear(
    _ out: FloatPointer, _ inp: FloatPointer, _ weight: FloatPointer, _ bias: FloatPointer?,
    _ inFeatures: Int, _ outFeatures: Int, _ layout: WeightLayout
  ) {
    linearForward(
      out: out, inp: inp, weight: weight, bias: bias, rows: 1, inFeatures: inFeatures, outFeatures: outFeatures,
      layout: layout)
  }

  /// LayerNorm of one row (`out` may be `inp`).
  private func norm(_ out: FloatPointer, _ inp: FloatPointer, _ weight: FloatPointer, _ bias: FloatPointer) {
    layerNormForward(
      out: out, mean: mean.base, rstd: rstd.base, inp: inp, weight: weight, bias: bias, rows: 1, channels: c)
  }

  /// attention[h] = softmax(q_h · K_hᵀ / √d) · V_h over the cached positions 0...position.
  private func attend(layer l: Int, position: Int) {
    let scale = 1 / Float(headDim).squareRoot()
    for h in 0..<heads {
      let q = qkv.base + h * headDim
      var maximum = -Float.infinity
      for j in 0...position {
        let k = keys[l].base + j * c + h * headDim
        var dot: Float = 0
        for d in 0..<headDim { dot += q[d] * k[d] }
        scores.base[j] = dot * scale
        maximum = max(maximum, scores.base[j])
      }
      var sum: Float = 0
      for j in 0...position {
        scores.base[j] = FastMath.exp(scores.base[j] - maximum)
        sum += scores.base[j]
      }
      let out = attention.base + h * headDim
      out.update(repeating: 0, count: headDim)
      for j in 0...position {
        let weight = scores.base[j] / sum
        let v = values[l].base + j * c + h * headDim
        for d in 0..<headDim { out[d] += weight * v[d] }
      }
    }
  }
}
