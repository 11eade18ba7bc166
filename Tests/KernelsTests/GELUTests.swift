import Foundation
import Kernels
import TestSupport
import Testing

/// GELU, tanh approximation: ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
///
/// Tolerance: element-wise |actual − reference| ≤ 1e-6 + 1e-5·|reference|. The absolute term
/// covers x ≪ 0, where 1 + tanh(·) cancels in float32 (any float32 GELU, PyTorch's included,
/// loses all relative accuracy there, but the value itself is below 1e-6); the relative term is
/// ~50× the few-ulp rounding of the kernels' tanh. A wrong constant (e.g. 0.04 for 0.044715) moves
/// outputs near |x| ≈ 2 by ~1e-3.
/// The derivative is held to 5e-6 + 1e-5·|reference|: its 1 − tanh² term cancels for
/// |x| ≈ 4–6, where even a correctly rounded float32 tanh leaves ~1e-6 absolute error in gelu′
/// (1.1e-6 at x = ±5.375, checked with NumPy float32); a wrong derivative term is off by ~1e-1.
struct GELUTests {
  let memory = TestMemory()

  static func gelu(_ x: Double) -> Double {
    0.5 * x * (1 + tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)))
  }

  /// A grid over [-10, 10] plus random points; 207 values so the scalar tail runs too.
  func inputs(seed: UInt64) -> [Float] {
    var random = SeededRandom(seed: seed)
    let grid = (0...160).map { Float($0) / 8 - 10 }
    return grid + random.floats(46, in: -4...4)
  }

  /// Largest error in units of the bound; ≤ 1 passes.
  func worstRatio(_ actual: [Float], _ expected: [Double], absolute: Double, relative: Double) -> Double {
    zip(actual, expected).map { a, r in
      let error = abs(Double(a) - r)
      return error.isNaN ? .infinity : error / (absolute + relative * abs(r))
    }.max() ?? 0
  }

  @Test("geluForward matches the tanh formula in double, SIMD body and scalar tail")
  func forwardMatchesReference() {
    let x = inputs(seed: 41)
    let out = memory.buffer(repeating: Float.nan, count: x.count)
    geluForward(out: out.pointer, inp: memory.buffer(x).pointer, count: x.count)
    let expected = x.map { Self.gelu(Double($0)) }
    let error = measureError(out.array, expected)
    report("gelu forward", error)
    let ratio = worstRatio(out.array, expected, absolute: 1e-6, relative: 1e-5)
    #expect(ratio <= 1, "worst error is \(ratio)× the bound; \(error)")
  }

  @Test("geluForwardKeepingDerivative returns geluForward's values and the double finite-difference derivative")
  func derivativeMatchesFiniteDifferences() {
    let x = inputs(seed: 42)
    let forward = memory.buffer(repeating: Float.nan, count: x.count)
    let out = memory.buffer(repeating: Float.nan, count: x.count)
    let derivative = memory.buffer(x)
    geluForward(out: forward.pointer, inp: memory.buffer(x).pointer, count: x.count)
    geluForwardKeepingDerivative(out: out.pointer, x: derivative.pointer, count: x.count)
    #expect(out.array.map(\.bitPattern) == forward.array.map(\.bitPattern))
    // GELU is element-wise: each entry of gelu′ needs only its own central difference.
    let h = 1e-5
    let expected = x.map { value in
      let xd = Double(value)
      return (Self.gelu(xd + h) - Self.gelu(xd - h)) / (2 * h)
    }
    let error = measureError(derivative.array, expected)
    report("gelu derivative", error)
    let ratio = worstRatio(derivative.array, expected, absolute: 5e-6, relative: 1e-5)
    #expect(ratio <= 1, "worst error is \(ratio)× the bound; \(error)")
  }
}
