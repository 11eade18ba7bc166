import Foundation

/// Float32 rounding-error bounds for the optimizer tests (docs/testing.md, "Numerical tolerances").
///
/// - u = 2⁻²⁴; γₙ = n·u / (1 − n·u) bounds a chain of n roundings (a sum of n terms in any order
///   included, Higham §3.1).
/// - An optimizer step p ← p·(1 − lr·λ) − lr·û rounds p about 3 times (γ₃·|p|) and computes û
///   through a chain whose length is set by its longest reduction (Adafactor's row and column
///   means and the update RMS over the whole tensor); the resulting relative error of û is
///   charged to the size of the step, lr·|û|, not to |p|. Errors of earlier steps carry over
///   (the decay factor ≤ 1 does not amplify them), so the per-step bounds add up.
/// - Comparing two float32 implementations (Swift and PyTorch) doubles the bound.
enum ErrorBounds {
  static let unitRoundoff = 0x1p-24

  static func gamma(_ n: Int) -> Double {
    let nu = Double(n) * unitRoundoff
    return nu / (1 - nu)
  }

  /// Relative error of one Adafactor update û of a tensor of `shape` at step t (1-based): the
  /// factored second moment (row means over the columns, column means over the rows, the mean of
  /// the row factor, 3 more ops to combine, all carried from every earlier step, hence ×t),
  /// rsqrt and the product (γ₃), the update RMS over all N elements and the clip (γ_{N+3}), and
  /// the first-moment average and lr (γ₄).
  static func adafactorUpdate(shape: [Int], step t: Int) -> Double {
    let n = shape.reduce(1, *)
    let columns = shape.last ?? 1
    let rows = n / columns
    let secondMoment = shape.count >= 2 ? gamma(columns + 1) + 2 * gamma(rows + 1) + gamma(3) : gamma(2)
    return Double(t) * secondMoment + gamma(3) + gamma(n + 3) + gamma(4)
  }
}
