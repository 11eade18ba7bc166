import Foundation
import TestSupport
import Testing

@testable import Reporting

@Suite struct AxisTicksTests {
  /// Ranges of very different sizes and signs, from a fixed generator.
  static let ranges: [(Double, Double)] = {
    var generator = SeededRandom(seed: 7)
    return (0..<300).map { _ in
      let magnitude = pow(10, Double.random(in: -8...12, using: &generator))
      let lower = Double.random(in: -1...1, using: &generator) * magnitude
      let width = magnitude * Double.random(in: 0.01...3, using: &generator)
      return (lower, lower + width)
    }
  }()

  @Test func linearTicksAreMultiplesOfA125StepInsideTheRange() {
    for (lower, upper) in Self.ranges {
      let (ticks, step) = AxisTicks.linear(lower: lower, upper: upper, targetCount: 5)
      let exponent = floor(log10(step))
      let mantissa = (step / pow(10, exponent)).rounded()
      #expect([1, 2, 5].contains(mantissa), "step \(step) for \(lower)…\(upper)")
      #expect(ticks.count >= 2 && ticks.count <= 11, "\(ticks.count) ticks for \(lower)…\(upper)")
      for tick in ticks {
        #expect(tick >= lower - step * 1e-6 && tick <= upper + step * 1e-6)
        let multiple = tick / step
        #expect(abs(multiple - multiple.rounded()) < 1e-6, "\(tick) is not a multiple of \(step)")
      }
      for (a, b) in zip(ticks, ticks.dropFirst()) {
        #expect(abs((b - a) - step) <= step * 1e-6)
      }
    }
  }

  @Test func niceBoundsEncloseTheDataOnTicks() {
    for (lower, upper) in Self.ranges {
      let bounds = AxisTicks.niceBounds(lower: lower, upper: upper, targetCount: 5)
      let width = upper - lower
      #expect(bounds.lower <= lower + width * 1e-9 && bounds.upper >= upper - width * 1e-9)
      #expect(bounds.upper - bounds.lower <= width * 3, "bounds too loose for \(lower)…\(upper)")
      #expect(bounds.ticks.first == bounds.lower && bounds.ticks.last == bounds.upper)
      #expect(bounds.ticks.count >= 2 && bounds.ticks.count <= 12)
      #expect(bounds.step == AxisTicks.linear(lower: lower, upper: upper, targetCount: 5).step)
    }
  }

  @Test func unitRangeGetsFifthsAndDecimalTicksAreExactDoubles() {
    let (ticks, step) = AxisTicks.linear(lower: 0, upper: 1, targetCount: 5)
    #expect(step == 0.2)
    #expect(ticks == [0, 0.2, 0.4, 0.6, 0.8, 1.0])
    // 3 × 0.1 would be 0.30000000000000004; the ticks are built as 3 / 10.
    #expect(AxisTicks.linear(lower: 0, upper: 0.5, targetCount: 5).ticks.contains(0.3))
  }

  @Test func logTicksUse125OverAFewDecadesAndPowersOfTenOverMany() {
    let few = AxisTicks.logarithmic(lower: 0.9, upper: 110, targetCount: 5)
    #expect(few == [1, 2, 5, 10, 20, 50, 100])
    let many = AxisTicks.logarithmic(lower: 1e-3, upper: 1e9, targetCount: 5)
    #expect(many.allSatisfy { log10($0) == log10($0).rounded() })
    #expect(many.count >= 3 && many.count <= 8)
  }

  @Test func narrowLogRangeFallsBackToLinearTicksInside() {
    let ticks = AxisTicks.logarithmic(lower: 3.2, upper: 4.6, targetCount: 5)
    #expect(ticks.count >= 3)
    #expect(ticks.allSatisfy { $0 >= 3.2 && $0 <= 4.6 })
  }

  @Test func scaleMapsItsBoundsToZeroAndOne() {
    let linear = AxisScale(kind: .linear, covering: [3, 17], niceBounds: true)
    #expect(linear.fraction(linear.lower) == 0 && linear.fraction(linear.upper) == 1)
    #expect(linear.lower <= 3 && linear.upper >= 17)
    let withZero = AxisScale(kind: .linear, covering: [3, 17], niceBounds: true, includeZero: true)
    #expect(withZero.lower == 0)
    let log = AxisScale(kind: .logarithmic, covering: [0, -1, 2, 200], niceBounds: false)
    #expect(log.fraction(0) == nil && log.fraction(-1) == nil)
    #expect(log.lower < 2 && log.upper > 200)
    #expect(abs(log.fraction(20)! - 0.5) < 1e-9)  // 20 is the geometric middle of 2 and 200
    let single = AxisScale(kind: .linear, covering: [5], niceBounds: true)
    #expect(single.lower < 5 && single.upper > 5)
  }
}
