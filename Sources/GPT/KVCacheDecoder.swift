import Kernels
import SwiftletCore

/// Autoregressive generation with a key/value cache: each new token costs one pass of
/// `O(n_layer · (C² + position · C))` instead of re-running the whole prefix.
///
/// Works on an unsharded model (tensor-parallel size 1), reusing its parameter arena.
public final class KVCacheDecoder {
  public let model: GPTModel
  private let c: Int
  private let f: Int
  private let heads: Int
  private let headDim: Int
  private var keys: [FloatArena] = []  // per layer [n_ctx, C]
  private var values: [FloatArena] = []
  /// Tokens currently held in the cache.
  public private(set) var length = 0
  // Scratch for one position.
  private let x: FloatArena, normed: FloatArena, qkv: FloatArena, attention: FloatArena
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
    f = config.ffnDim
    heads = config.nHead
    headDim = config.headDim
    for _ in 0..<config.nLayer {
      keys.append(FloatArena(count: config.nCtx * c))
      values.append(FloatArena(count: config.nCtx * c))
    }
    x = FloatArena(count: c)
    normed = FloatArena(count: c)
    qkv = FloatArena(count: 3 * c)
    attention = FloatArena(count: c)
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
    let position = length
    let wte = w + layout["transformer.wte.weight"].offset
    let wpe = w + layout["transformer.wpe.weight"].offset
    for i in 0..<c { x.base[i] = wte[token * c + i] + wpe[position * c + i] }

    for l in 0..<config.nLayer {
      func p(_ name: String) -> FloatPointer { w + layout["transformer.h.\(l).\(name)"].offset }
      layerNormForward(out: normed.base, mean: mean.base, rstd: rstd.base, inp: x.base, weight: p("ln_1.weight"), bias: p("ln_1.bias"), rows: 1, channels: c)
      linearForward(out: qkv.base, inp: normed.base, weight: p("attn.c_attn.weight"), bias: p("attn.c_attn.bias"), rows: 1, inFeatures: c, outFeatures: 3 * c)
      (keys[l].base + position * c).update(from: qkv.base + c, count: c)
      (values[l].base + position * c).update(from: qkv.base + 2 * c, count: c)
      attend(layer: l, position: position)
      linearForward(out: projection.base, inp: attention.base, weight: p("attn.c_proj.weight"), bias: p("attn.c_proj.bias"), rows: 1, inFeatures: c, outFeatures: c)
      addInPlace(x.base, projection.base, count: c)
      layerNormForward(out: normed.base, mean: mean.base, rstd: rstd.base, inp: x.base, weight: p("ln_2.weight"), bias: p("ln_2.bias"), rows: 1, channels: c)
      linearForward(out: hidden.base, inp: normed.base, weight: p("mlp.c_fc.weight"), bias: p("mlp.c_fc.bias"), rows: 1, inFeatures: c, outFeatures: f)
      geluForward(out: hidden.base, inp: hidden.base, count: f)
      linearForward(out: projection.base, inp: hidden.base, weight: p("mlp.c_proj.weight"), bias: p("mlp.c_proj.bias"), rows: 1, inFeatures: f, outFeatures: c)
      addInPlace(x.base, projection.base, count: c)
    }
    layerNormForward(
      out: normed.base, mean: mean.base, rstd: rstd.base, inp: x.base, weight: w + layout["transformer.ln_f.weight"].offset,
      bias: w + layout["transformer.ln_f.bias"].offset, rows: 1, channels: c)
    gemm(logits.base, normed.base, wte, m: 1, n: config.vocabSize, k: c, transposeB: true)
    length += 1
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

/// Picks the next token from logits: greedy at temperature 0, otherwise softmax(logits / T)
/// restricted to the `topK` most likely tokens (0 = all), drawn with a counter-based RNG so the
/// same seed gives the same text.
public struct TokenSampler {
  public var temperature: Double
  public var topK: Int
  public let rng: CounterRNG

  public init(temperature: Double, topK: Int, seed: UInt64) {
    self.temperature = temperature
    self.topK = topK
    rng = CounterRNG(seed: seed, stream: 0x5a3e)
  }

  public func pick(logits: UnsafePointer<Float>, vocabSize: Int, draw: Int) -> Int {
    if temperature <= 0 {
      var best = 0
      for i in 1..<vocabSize where logits[i] > logits[best] { best = i }
      return best
    }
    var candidates = Array(0..<vocabSize)
    if topK > 0 && topK < vocabSize {
      candidates.sort { logits[$0] > logits[$1] }
      candidates.removeLast(vocabSize - topK)
    }
    let maximum = candidates.map { Double(logits[$0]) }.max()!
    let weights = candidates.map { expDouble((Double(logits[$0]) - maximum) / temperature) }
    let total = weights.reduce(0, +)
    var threshold = rng.uniform(UInt64(draw)) * total
    for (i, weight) in weights.enumerated() {
      threshold -= weight
      if threshold <= 0 { return candidates[i] }
    }
    return candidates.last!
  }
}

#if canImport(Glibc)
  import Glibc
  @inline(__always) func expDouble(_ x: Double) -> Double { Glibc.exp(x) }
#endif
