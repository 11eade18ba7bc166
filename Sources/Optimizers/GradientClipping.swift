import Kernels

/// Global-norm gradient clipping as `torch.nn.utils.clip_grad_norm_`:
/// `g ← g · min(1, maxNorm / (‖g‖₂ + 1e-6))`.
///
/// The caller computes the norm over ALL gradients of the model (across tensor-parallel shards,
/// counting replicated tensors once), so every rank applies the same factor.
public enum GradientClipping {
  /// The factor `clip_grad_norm_` multiplies the gradients by (1 when no clipping is needed).
  public static func factor(norm: Double, maxNorm: Double) -> Float {
    let coefficient = maxNorm / (norm + 1e-6)
    return Float(min(coefficient, 1))
  }

  /// Scales `count` gradients in place; returns the factor used.
  @discardableResult
  public static func clip(_ gradients: FloatPointer, count: Int, norm: Double, maxNorm: Double) -> Float {
    let f = factor(norm: norm, maxNorm: maxNorm)
    if f < 1 { scaleInPlace(gradients, by: f, count: count) }
    return f
  }
}
