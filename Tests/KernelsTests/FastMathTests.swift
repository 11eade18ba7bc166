import CKernels
import Foundation
import Kernels
import TestSupport
import Testing

/// The C kernels' exponential (Sources/CKernels, `exp8` and its scalar twin, reached through
/// `swiftlet_exp_row`) against Foundation's double-precision exp, and its tanh through GELU.
///
/// Bounds:
/// - exp: relative error ≤ 2.4e-7 (2 ulp of float32, the accuracy the Cephes scheme gives) on
///   [-87, 88], where e^x is a normal float32. Measured: ~7.7e-8.
/// - Out of range: exp saturates to a finite value (≥ 2e38) above 88.3 and to ≤ 1.3e-38
///   (e^−87.3, the lower clamp; negligible next to any softmax sum ≥ 1) below −87.3, including
///   ±∞. tanh (computed from exp as 1 − 2/(e^{2x} + 1)) saturates to exactly ±1, so GELU of a
///   huge input is the input itself or zero, never NaN. tanh's accuracy in range is GELUTests'.
struct FastMathTests {
  /// exp of each of `xs` as the kernels compute it (vector lanes for whole groups of eight,
  /// the scalar path for the tail).
  func exp(_ xs: [Float]) -> [Float] {
    var row = xs
    _ = swiftlet_exp_row(&row, row.count, row.count, 0)
    return row
  }

  @Test("exp is within 2 ulp of Foundation's exp over [-87, 88]")
  func expMatchesFoundation() {
    var random = SeededRandom(seed: 101)
    let grid = (0..<4001).map { -87 + 175 * Float($0) / 4000 }
    let points = grid + random.floats(8 * 128, in: -87...88)
    var worst = 0.0
    var worstAt: Float = 0
    for (x, y) in zip(points, exp(points)) {
      let reference = Foundation.exp(Double(x))
      let relative = abs(Double(y) - reference) / reference
      if !(relative <= worst) { (worst, worstAt) = (relative, x) }  // NaN counts as worst
    }
    print("[KernelsTests] kernel exp max relative error \(formatted(worst)) at x = \(worstAt)")
    #expect(worst <= 2.4e-7, "relative error \(worst) at x = \(worstAt)")
    // A tail shorter than a vector (the scalar path) gives the vector path's values.
    let probes: [Float] = [-50.5, -1, 0, 0.3, 1, 42.25, 7, -3]
    #expect(exp(Array(probes.prefix(5))) == Array(exp(probes).prefix(5)))
  }

  @Test("exp and tanh saturate without NaN or infinity far outside the range")
  func saturationIsClean() {
    let huge: [Float] = [88.5, 100, 1e4, 1e30, .greatestFiniteMagnitude, .infinity]
    for (x, (up, down)) in zip(huge, zip(exp(huge), exp(huge.map { -$0 }))) {
      #expect(up.isFinite && up >= 2e38, "exp(\(x)) = \(up)")
      #expect(down >= 0 && down <= 1.3e-38, "exp(\(-x)) = \(down)")
    }
    // Lanes are independent: one saturated lane does not disturb its neighbours.
    let mixed: [Float] = [-.infinity, -1, 0, 1, 2, 3, .infinity, 0.5]
    let e = exp(mixed)
    for lane in [1, 2, 3, 4, 5, 7] {
      #expect(
        abs(Double(e[lane]) - Foundation.exp(Double(mixed[lane]))) <= 2.4e-7
          * Foundation.exp(Double(mixed[lane])))
    }
    #expect(e[0] <= 1.3e-38 && e[6].isFinite)
    // tanh = ±1 exactly far out: gelu(x) = ½·x·(1 + tanh(…)) is x itself or a signed zero.
    let finite: [Float] = [1e4, 1e30, -1e4, -1e30, 20, -20, 1e4, -1e4]
    var gelu = [Float](repeating: .nan, count: finite.count)
    geluForward(out: &gelu, inp: finite, count: finite.count)
    for (x, y) in zip(finite, gelu) {
      #expect(x > 0 ? y == x : y == 0, "gelu(\(x)) = \(y)")
    }
  }
}

@Suite struct NaNPropagationTests {
  @Test func expAndTanhPropagateNaNAndUnderflowToZero() {
    let e = FastMathTests().exp([.nan, -.infinity, -100, 0])
    #expect(e[0].isNaN)
    #expect(e[1] == 0 && e[2] == 0)
    var gelu: [Float] = [0]
    geluForward(out: &gelu, inp: [Float.nan], count: 1)
    #expect(gelu[0].isNaN)
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
