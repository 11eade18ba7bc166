import Foundation
import Kernels
import TestSupport
import Testing

/// FastMath.exp and FastMath.tanh against Foundation's double-precision functions.
///
/// Bounds:
/// - exp: relative error ≤ 2.4e-7 (2 ulp of float32, the accuracy FastMath documents) on
///   [-87, 88], where e^x is a normal float32. Measured: ~7.7e-8.
/// - tanh: absolute error ≤ 2.5e-7 on [-20, 20]. tanh is computed as 1 − 2/(e^{2x} + 1), which
///   cancels near 0, so only an absolute bound holds there (a relative bound would fail:
///   tanh(1e-6) comes out as 9.5e-7); for GELU, the only user, the absolute error is what
///   matters because tanh is added to 1. Measured: ~1.8e-7.
/// - Out of range: exp saturates to a finite value (≥ 2e38) above 88.3 and to ≤ 1.3e-38
///   (e^−87.3, the lower clamp; negligible next to any softmax sum ≥ 1) below −87.3, including
///   ±∞; tanh saturates to exactly ±1. Nothing is NaN.
struct FastMathTests {
  /// `count` points evenly spaced over `range`, rounded up to whole SIMD vectors, plus random
  /// points from `seed`; evaluated eight at a time through the vector entry point.
  func evaluate(
    over range: ClosedRange<Float>, count: Int, seed: UInt64, _ function: (FastMath.Vector) -> FastMath.Vector
  ) -> [(x: Float, y: Float)] {
    var random = SeededRandom(seed: seed)
    let grid = (0..<count).map {
      range.lowerBound + (range.upperBound - range.lowerBound) * Float($0) / Float(count - 1)
    }
    let points = grid + random.floats(8 * 128, in: range)
    var result: [(x: Float, y: Float)] = []
    var start = 0
    while start < points.count {
      var vector = FastMath.Vector(repeating: range.upperBound)
      for lane in 0..<min(8, points.count - start) { vector[lane] = points[start + lane] }
      let y = function(vector)
      for lane in 0..<min(8, points.count - start) { result.append((points[start + lane], y[lane])) }
      start += 8
    }
    return result
  }

  @Test("exp is within 2 ulp of Foundation's exp over [-87, 88]")
  func expMatchesFoundation() {
    var worst = 0.0
    var worstAt: Float = 0
    for (x, y) in evaluate(over: -87...88, count: 4001, seed: 101, FastMath.exp) {
      let reference = Foundation.exp(Double(x))
      let relative = abs(Double(y) - reference) / reference
      if !(relative <= worst) { (worst, worstAt) = (relative, x) }  // NaN counts as worst
    }
    print("[KernelsTests] FastMath.exp max relative error \(formatted(worst)) at x = \(worstAt)")
    #expect(worst <= 2.4e-7, "relative error \(worst) at x = \(worstAt)")
    // The scalar entry point (used for loop tails) must agree with the vector one.
    for x: Float in [-50.5, -1, 0, 0.3, 1, 42.25] {
      #expect(FastMath.exp(x) == FastMath.exp(FastMath.Vector(repeating: x))[0])
      #expect(abs(Double(FastMath.exp(x)) - Foundation.exp(Double(x))) <= 2.4e-7 * Foundation.exp(Double(x)))
    }
  }

  @Test("tanh is within 2.5e-7 absolute of Foundation's tanh over [-20, 20]")
  func tanhMatchesFoundation() {
    var worst = 0.0
    var worstAt: Float = 0
    for (x, y) in evaluate(over: -20...20, count: 4001, seed: 102, FastMath.tanh) {
      let error = abs(Double(y) - Foundation.tanh(Double(x)))
      if !(error <= worst) { (worst, worstAt) = (error, x) }
    }
    print("[KernelsTests] FastMath.tanh max absolute error \(formatted(worst)) at x = \(worstAt)")
    #expect(worst <= 2.5e-7, "absolute error \(worst) at x = \(worstAt)")
    for x: Float in [-3, -0.5, 0, 0.25, 2] {
      #expect(FastMath.tanh(x) == FastMath.tanh(FastMath.Vector(repeating: x))[0])
    }
  }

  @Test("exp and tanh saturate without NaN or infinity far outside the range")
  func saturationIsClean() {
    let huge: [Float] = [88.5, 100, 1e4, 1e30, .greatestFiniteMagnitude, .infinity]
    for x in huge {
      let up = FastMath.exp(x)
      let down = FastMath.exp(-x)
      #expect(up.isFinite && up >= 2e38, "exp(\(x)) = \(up)")
      #expect(down >= 0 && down <= 1.3e-38, "exp(\(-x)) = \(down)")
      #expect(FastMath.tanh(x) == 1, "tanh(\(x)) = \(FastMath.tanh(x))")
      #expect(FastMath.tanh(-x) == -1, "tanh(\(-x)) = \(FastMath.tanh(-x))")
    }
    // Lanes are independent: one saturated lane does not disturb its neighbours.
    let mixed = FastMath.Vector(-.infinity, -1, 0, 1, 2, 3, .infinity, 0.5)
    let e = FastMath.exp(mixed)
    for lane in [1, 2, 3, 4, 5, 7] {
      #expect(
        abs(Double(e[lane]) - Foundation.exp(Double(mixed[lane]))) <= 2.4e-7
          * Foundation.exp(Double(mixed[lane])))
    }
    #expect(e[0] <= 1.3e-38 && e[6].isFinite)
  }
}

@Suite struct NaNPropagationTests {
  @Test func expAndTanhPropagateNaNAndUnderflowToZero() {
    #expect(FastMath.exp(Float.nan).isNaN)
    #expect(FastMath.tanh(Float.nan).isNaN)
    #expect(FastMath.exp(-Float.infinity) == 0)
    #expect(FastMath.exp(-100) == 0)
  }

  @Test func aNaNLogitMakesTheCrossEntropyLossNaN() {
    var logits: [Float] = [0.5, .nan, 1.0, -2.0, 0.1, 0.2, 0.3, 0.4, 0.9]
    var rowMax: [Float] = [0]
    var sumExp: [Float] = [0]
    var target: [Float] = [0]
    let targets: [Int32] = [0]
    var losses: [Float] = [0]
    crossEntropyRowMax(&rowMax, logits: &logits, rows: 1, columns: 9, validColumns: 9)
    crossEntropyRowSums(
      sumExp: &sumExp, targetLogit: &target, logits: &logits, rowMax: &rowMax, targets: targets, firstColumn: 0,
      rows: 1, columns: 9, validColumns: 9)
    crossEntropyLosses(&losses, rowMax: &rowMax, sumExp: &sumExp, targetLogit: &target, rows: 1)
    #expect(rowMax[0].isNaN)
    #expect(losses[0].isNaN)
  }
}
