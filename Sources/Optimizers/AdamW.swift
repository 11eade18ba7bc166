import COptimizerKernels
import Kernels

/// AdamW exactly as PyTorch's `torch.optim.AdamW` (single-tensor path) computes it
/// (Loshchilov & Hutter 2019, decoupled weight decay; Kingma & Ba 2015, bias correction):
///
///     θ ← θ · (1 − lr·λ)                     (only where the segment decays)
///     m ← m + (1 − β₁)·(g − m)               (torch's lerp)
///     v ← β₂·v + (1 − β₂)·g²
///     θ ← θ − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
public final class AdamW: Optimizer {
  // Hyperparameters are doubles, as Python floats are, so that derived scalars such as
  // `1 − β₁` round to the same float32 values PyTorch uses.
  public var beta1: Double
  public var beta2: Double
  public var epsilon: Double
  public var weightDecay: Double
  public var step = 0
  public let segments: [ParameterSegment]
  /// First moment `exp_avg` and second moment `exp_avg_sq`, laid out like the parameters.
  public let firstMoment: FloatArena
  public let secondMoment: FloatArena

  public init(
    segments: [ParameterSegment], arenaCount: Int, beta1: Double = 0.9, beta2: Double = 0.95,
    epsilon: Double = 1e-8, weightDecay: Double = 0.1
  ) {
    self.segments = segments
    self.beta1 = beta1
    self.beta2 = beta2
    self.epsilon = epsilon
    self.weightDecay = weightDecay
    firstMoment = FloatArena(count: arenaCount)
    secondMoment = FloatArena(count: arenaCount)
  }

  public var stateArenas: [(kind: String, arena: FloatArena)] {
    [("exp_avg", firstMoment), ("exp_avg_sq", secondMoment)]
  }

  public func update(parameters: FloatPointer, gradients: UnsafePointer<Float>, learningRate: Double) {
    update(
      parameters: parameters, gradients: UnsafeMutablePointer(mutating: gradients), learningRate: learningRate,
      gradientScale: 1, count: 0)
  }

  /// The update with the clipping factor folded in: `g = fl(g · gradientScale)` is rounded once,
  /// as `clip_grad_norm_`'s in-place multiply does, so results are bit-identical to clipping
  /// first, and the gradients are read once instead of read, written and read again.
  public func update(
    parameters: FloatPointer, gradients: FloatPointer, learningRate: Double, gradientScale: Float, count: Int
  ) {
    step += 1
    // Bias corrections in double, as Python computes them, then rounded once.
    let t = Double(step)
    let lr = learningRate
    let correction1 = 1 - pow(beta1, t)
    let correction2 = 1 - pow(beta2, t)
    let stepSize = Float(lr / correction1)
    let correction2Root = Float(correction2.squareRoot())
    let oneMinusBeta1 = Float(1 - beta1)
    let oneMinusBeta2 = Float(1 - beta2)
    let beta2 = Float(self.beta2)
    let epsilon = Float(self.epsilon)
    let m = firstMoment.base
    let v = secondMoment.base
    for segment in segments {
      let decay: Float = segment.decays ? Float(1 - lr * weightDecay) : 1
      // The element-wise update over one segment is a C loop clang vectorises (326 → 115 ms for
      // GPT-2 124M on Zen 4, docs/performance.md). Each element's arithmetic is the same sequence
      // of separately rounded operations in any vector width.
      swiftlet_adamw_update(
        parameters + segment.offset, gradients + segment.offset, m + segment.offset, v + segment.offset,
        segment.count, gradientScale, decay, stepSize, correction2Root, oneMinusBeta1, beta2, oneMinusBeta2, epsilon)
    }
    FlopCounter.addElementwise(12 * Double(segments.reduce(0) { $0 + $1.count }))
  }
}

#if canImport(Glibc)
  import Glibc
#endif
