import Foundation
import Testing

/// Float32 rounding-error bounds for the kernel tests (docs/testing.md, "Numerical tolerances").
/// Tolerances are computed from these, never from a measured difference.
///
/// - u = 2⁻²⁴ (float32 unit roundoff); γₙ = n·u / (1 − n·u).
/// - A float32 sum or dot product of n terms in ANY order, blocking or FMA use (every OpenBLAS
///   kernel) satisfies |fl(Σ xᵢyᵢ) − Σ xᵢyᵢ| ≤ γₙ · Σ|xᵢyᵢ| (Higham, Accuracy and Stability of
///   Numerical Algorithms, §3.1). Element-wise operations after it add one u each, so a chain
///   of n roundings is bounded by γₙ times the sum of the absolute values of its terms.
/// - Each test computes that absolute-value sum in double next to its reference ("|A|·|B|"
///   for a GEMM), so the bound is element-wise and needs no assumption about cancellation.
/// - The double finite-difference references are exact only to `finiteDifferenceError`.
enum ErrorBounds {
  static let unitRoundoff = 0x1p-24

  static func gamma(_ n: Int) -> Double {
    let nu = Double(n) * unitRoundoff
    return nu / (1 - nu)
  }

  /// Error of a central difference (f(x+h) − f(x−h)) / 2h in double: rounding u_d·|f|/h, where
  /// |f| ≤ `objectiveScale` (Σ|wᵢyᵢ|), plus truncation h²·|f‴|/6 with |f‴| ≤ `thirdDerivative`
  /// (0 for maps linear in the perturbed input).
  static func finiteDifferenceError(objectiveScale: Double, thirdDerivative: Double = 0, step: Double = 1e-5)
    -> Double
  {
    2 * Double.ulpOfOne * objectiveScale / step + step * step * thirdDerivative / 6
  }

  /// Largest |actual − expected| / bound (∞ for NaN); ≤ 1 passes.
  static func worstRatio(_ actual: [Float], _ expected: [Double], _ bound: [Double]) -> Double {
    precondition(actual.count == expected.count && expected.count == bound.count, "size mismatch")
    var worst = 0.0
    for i in actual.indices {
      let ratio = abs(Double(actual[i]) - expected[i]) / bound[i]
      worst = ratio.isNaN ? .infinity : max(worst, ratio)
    }
    return worst
  }

  /// Bound for `fl(start + g) − start` (a test recovering what an accumulating kernel added),
  /// given the bound on g itself: two more roundings at |start| + |g|.
  static func accumulated(_ bound: [Double], start: [Float], added: [Double]) -> [Double] {
    zip(bound, zip(start, added)).map { b, pair in b + gamma(2) * (abs(Double(pair.0)) + 2 * abs(pair.1)) }
  }
}

/// The observed worst ratio next to the measured error, for the log.
func report(_ what: String, _ measure: ErrorMeasure, ratio: Double) {
  print("[KernelsTests] \(what): \(measure), worst error/bound \(formatted(ratio))")
}

/// Checks `actual` against `expected` element by element: logs `error` (by default the whole-array
/// measure) with the worst error/bound ratio under `what`, and expects that ratio to be at most 1.
func expectWithinBound(
  _ what: String, _ actual: [Float], _ expected: [Double], _ bound: [Double], error: ErrorMeasure? = nil,
  sourceLocation: SourceLocation = #_sourceLocation
) {
  let error = error ?? measureError(actual, expected)
  let ratio = ErrorBounds.worstRatio(actual, expected, bound)
  report(what, error, ratio: ratio)
  #expect(ratio <= 1, "\(what): \(error), error/bound \(ratio)", sourceLocation: sourceLocation)
}
