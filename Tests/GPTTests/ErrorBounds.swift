import Foundation

/// The float32 error model behind every tolerance in the reference tests (docs/testing.md,
/// "Numerical tolerances"). Nothing here is a measured difference.
///
/// - u = 2⁻²⁴ (float32 unit roundoff); γₙ = n·u / (1 − n·u).
/// - A dot product or sum of n terms, in ANY order, blocking or FMA use (every BLAS kernel):
///   |fl(Σ xᵢyᵢ) − Σ xᵢyᵢ| ≤ γₙ · Σ|xᵢyᵢ| (Higham, Accuracy and Stability, §3.1). A chain of
///   element-wise roundings (bias add, exp, tanh, residual add) is γ of the number of roundings.
/// - A stage is one such chain; its length is the longest reduction plus its element-wise ops
///   (C = d_model, F = ffn width, T = seq_len for softmax and P·V, D = head dim, V = vocab for
///   the LM head's backward and the cross-entropy, N = B·T rows for weight gradients).
/// - Stages compound to first order: relative errors add, γₐ + γ_b ≤ γₐ₊_b. The activations
///   are LayerNorm-normalised, so each stage's Σ|xᵢyᵢ| is taken to be of the order of the largest
///   output; the worst-case γₙ already over-states the typical √n·u rounding by √n.
/// - Swift and PyTorch are two independent float32 evaluations of the same math: the bound on
///   their difference is twice the bound on either one's error.
enum ErrorBounds {
  static let unitRoundoff = 0x1p-24

  static func gamma(_ n: Int) -> Double {
    let nu = Double(n) * unitRoundoff
    return nu / (1 - nu)
  }

  /// The reduction lengths of a GPT-2 / OPT forward and backward pass.
  struct Shape {
    var layers: Int
    var dModel: Int
    var ffn: Int
    var headDim: Int
    var seqLen: Int
    var vocab: Int
    var rows: Int
    /// OPT's word_embed_proj_dim when it differs from d_model (project_in / project_out).
    var embedProj: Int?

    /// Roundings per stage of one forward pass (one entry per stage, in order).
    var forwardStages: [Int] {
      let (c, t, d) = (dModel, seqLen, headDim)
      let layerNorm = 2 * c + 4  // mean, variance (C each), then −μ, ·rstd, ·γ, +β
      let block = [
        layerNorm, c + 1,  // LayerNorm 1; QKV projection + bias
        d + 1, t + 6, t,  // scores q·k/√D; softmax (max, 2-ulp exp, Σ, divide); P·V
        c + 2,  // output projection + bias + residual
        layerNorm, c + 11,  // LayerNorm 2; MLP up + bias + activation (tanh is 4u + 6 ops)
        ffn + 2,  // MLP down + bias + residual
      ]
      var stages = [1]  // token + position embedding
      if let p = embedProj { stages += [p] }  // project_in
      for _ in 0..<layers { stages += block }
      stages += [layerNorm]  // final LayerNorm (post-LN OPT has one per block instead: same count)
      if embedProj != nil { stages += [c] }  // project_out
      stages += [embedProj ?? c]  // LM head (tied to the token table)
      return stages
    }

    /// Roundings per stage of one backward pass, from the loss down to a weight gradient.
    var backwardStages: [Int] {
      let (c, t, d) = (dModel, seqLen, headDim)
      let layerNormBackward = 2 * c + 6  // two row sums (C) and the combination
      let block = [
        c, 8, ffn,  // MLP down dX (sum over C outputs); activation′; MLP up dX (sum over F)
        layerNormBackward, 1,  // LayerNorm 2; residual
        c, d + 2 * t + 4,  // output projection dX; attention (dP over D; softmax′, dQ, dK, dV over T)
        3 * c, layerNormBackward, 1,  // QKV dX; LayerNorm 1; residual
      ]
      var stages = [vocab + 8, vocab]  // softmax − one-hot (Σ over V); LM head dX (sum over V)
      if let p = embedProj { stages += [p] }  // project_out dX
      stages += [layerNormBackward]
      for _ in 0..<layers { stages += block }
      if let p = embedProj { stages += [p] }  // project_in
      stages += [rows + 1]  // the weight gradient itself: Σ over the N = B·T rows (+ accumulate)
      return stages
    }

    /// One float32 forward pass: relative error of the logits (to max |logit|).
    var forwardError: Double { forwardStages.map(gamma).reduce(0, +) }
    /// One float32 forward + backward: relative error of a gradient (to its tensor's max |g|).
    var gradientError: Double { forwardError + backwardStages.map(gamma).reduce(0, +) }
  }

  /// Bound on |Swift − PyTorch| for logits, relative to max |logit| (two evaluations).
  static func logits(_ shape: Shape) -> Double { 2 * shape.forwardError }

  /// Bound on |Swift − PyTorch| for a gradient tensor, relative to its max |g|.
  static func gradient(_ shape: Shape) -> Double { 2 * shape.gradientError }

  /// Bound on |Swift − PyTorch| for the mean cross-entropy. Per evaluation, log Σ exp(z) and
  /// z_target each move by at most the logits' absolute error, and the V-term sum adds γ_{V+6}
  /// of |log Σ exp| ≤ max |z| + log V.
  static func loss(_ shape: Shape, maxLogit: Double) -> Double {
    2 * (2 * shape.forwardError * maxLogit + gamma(shape.vocab + 6) * (maxLogit + log(Double(shape.vocab))))
  }

  /// Bound on |Swift − PyTorch| for the global gradient norm, relative: every gradient is within
  /// `gradient(shape)` of its tensor's scale, and the float32 sum of squares of the P parameters
  /// adds γ_P (half of it after the square root, kept whole here).
  static func gradientNorm(_ shape: Shape, parameterCount: Int) -> Double {
    gradient(shape) + 2 * gamma(parameterCount)
  }
}

/// AdamW's error amplification, for comparing parameters after clipped AdamW steps taken from
/// gradients that carry the `ErrorBounds.gradient` error.
///
/// Adam steps by lr·m̂/(√v̂ + ε). With bias-corrected weights aₖ (for m̂) and wₖ (for v̂), each
/// summing to 1, Cauchy–Schwarz gives |m̂ₜ| ≤ Uₜ·√v̂ₜ, Uₜ = √(Σₖ aₖ²/wₖ) (1 at t = 1, 1.24 at
/// t = 2 for β = 0.9/0.95): no element moves more than lr·Uₜ per step, whatever its gradient.
/// An element whose gradient is at the rounding level can therefore move anywhere in
/// ±lr·Uₜ on either side, so the only bound for it is (a) Σₜ 2·lr·Uₜ. For an element whose
/// clipped gradient g₁ is well above its error E (|Δm̂|, |Δ√v̂| ≤ E since both are weighted
/// means), √v̂ₜ ≥ √wₜ₁·|g₁| = sₜ and exactly
///   |Δ(m̂/√v̂)| ≤ (1 + Uₜ)·E / (sₜ − E),
/// so (b) |Δp| ≤ Σₜ lr·(1 + Uₜ)·E/(sₜ − E), which is tight when E ≪ |g₁|.
struct AdamWAmplification {
  let beta1: Double
  let beta2: Double

  /// Bias-corrected weights of gradient k (0-based) in m̂ₜ and v̂ₜ, t ≥ 1.
  func weights(step t: Int) -> (first: [Double], second: [Double]) {
    let c1 = 1 - pow(beta1, Double(t))
    let c2 = 1 - pow(beta2, Double(t))
    let first = (0..<t).map { k in (1 - beta1) * pow(beta1, Double(t - 1 - k)) / c1 }
    let second = (0..<t).map { k in (1 - beta2) * pow(beta2, Double(t - 1 - k)) / c2 }
    return (first, second)
  }

  /// Uₜ: the largest possible |m̂ₜ| / √v̂ₜ.
  func maxNormalisedUpdate(step t: Int) -> Double {
    let (a, w) = weights(step: t)
    return zip(a, w).map { $0 * $0 / $1 }.reduce(0, +).squareRoot()
  }

  /// (a): any element, after `steps` steps at learning rate `lr`.
  func worstCase(steps: Int, lr: Double) -> Double {
    (1...steps).map { 2 * lr * maxNormalisedUpdate(step: $0) }.reduce(0, +)
  }

  /// (b): an element with first clipped gradient `g1` (|g1| > E) and clipped-gradient error `error`
  /// at every step; nil when the gradient is too close to its error for the bound to apply.
  func wellConditioned(steps: Int, lr: Double, g1: Double, error: Double) -> Double? {
    var total = 0.0
    for t in 1...steps {
      let s = weights(step: t).second[0].squareRoot() * abs(g1)
      guard s > error else { return nil }
      total += lr * (1 + maxNormalisedUpdate(step: t)) * error / (s - error)
    }
    return total
  }
}
