import Foundation

/// Tick values a reader can add in their head: multiples of 1, 2 or 5 × 10^k.
enum AxisTicks {
  /// The 1-2-5 step giving about `targetCount` intervals over `range`, as `mantissa × 10^exponent`.
  static func niceStep(range: Double, targetCount: Int) -> (mantissa: Int, exponent: Int) {
    let raw = range / Double(max(1, targetCount))
    guard raw > 0, raw.isFinite else { return (1, 0) }
    var exponent = Int(floor(log10(raw)))
    let fraction = raw / pow(10, Double(exponent))
    let mantissa: Int
    // Round the fraction to the nearest of 1, 2, 5, 10 (geometric midpoints).
    switch fraction {
    case ..<1.5: mantissa = 1
    case ..<3.5: mantissa = 2
    case ..<7.5: mantissa = 5
    default:
      mantissa = 1
      exponent += 1
    }
    return (mantissa, exponent)
  }

  /// `count × mantissa × 10^exponent` computed so that 0.1-style steps give the closest double
  /// (3 × 0.1 is 0.30000000000000004; 3 / 10 is 0.3).
  static func multiple(_ count: Int, mantissa: Int, exponent: Int) -> Double {
    exponent >= 0
      ? Double(count * mantissa) * pow(10, Double(exponent))
      : Double(count * mantissa) / pow(10, Double(-exponent))
  }

  /// Linear ticks: every multiple of the nice step inside `[lower, upper]`, and that step.
  static func linear(lower: Double, upper: Double, targetCount: Int) -> (
    ticks: [Double], step: Double
  ) {
    let (mantissa, exponent) = niceStep(range: upper - lower, targetCount: targetCount)
    return (
      multiples(lower: lower, upper: upper, mantissa: mantissa, exponent: exponent),
      multiple(1, mantissa: mantissa, exponent: exponent)
    )
  }

  /// The domain widened outwards to multiples of the nice step, so the plot starts and ends on
  /// ticks, with those ticks and the step (computed once: the wider domain must not pick
  /// another step whose ticks miss its ends).
  static func niceBounds(lower: Double, upper: Double, targetCount: Int)
    -> (lower: Double, upper: Double, ticks: [Double], step: Double)
  {
    let (mantissa, exponent) = niceStep(range: upper - lower, targetCount: targetCount)
    let step = multiple(1, mantissa: mantissa, exponent: exponent)
    let slack = step * 1e-9
    let low = multiple(Int(floor((lower + slack) / step)), mantissa: mantissa, exponent: exponent)
    let high = multiple(Int(ceil((upper - slack) / step)), mantissa: mantissa, exponent: exponent)
    return (
      low, high, multiples(lower: low, upper: high, mantissa: mantissa, exponent: exponent), step
    )
  }

  /// The multiples of `mantissa × 10^exponent` inside `[lower, upper]`.
  private static func multiples(lower: Double, upper: Double, mantissa: Int, exponent: Int)
    -> [Double]
  {
    let step = multiple(1, mantissa: mantissa, exponent: exponent)
    // A tiny slack keeps ticks that sit on a bound despite rounding in the division.
    let slack = step * 1e-9
    let first = Int(ceil((lower - slack) / step))
    let last = Int(floor((upper + slack) / step))
    guard last >= first, last - first < 1000 else { return [lower, upper] }
    return (first...last).map { multiple($0, mantissa: mantissa, exponent: exponent) }
  }

  /// Logarithmic ticks inside `[lower, upper]` (both > 0): 1, 2, 5 × 10^k over a few decades,
  /// powers of ten only over many; over less than about half a decade, where those are too
  /// sparse, the linear 1-2-5 ticks instead (a loss from 3.2 to 4.5 gets 3.5, 4, 4.5).
  static func logarithmic(lower: Double, upper: Double, targetCount: Int) -> [Double] {
    guard lower > 0, upper > lower else { return [lower] }
    let firstDecade = Int(floor(log10(lower)))
    let lastDecade = Int(ceil(log10(upper)))
    let decades = lastDecade - firstDecade
    let mantissas = decades > 4 ? [1] : [1, 2, 5]
    let stride = max(1, decades / max(1, targetCount))
    var ticks: [Double] = []
    for decade in firstDecade...lastDecade where (decade - firstDecade) % stride == 0 {
      for mantissa in mantissas {
        let tick = multiple(1, mantissa: mantissa, exponent: decade)
        if tick >= lower * (1 - 1e-9) && tick <= upper * (1 + 1e-9) { ticks.append(tick) }
      }
    }
    if ticks.count >= 3 { return ticks }
    return linear(lower: lower, upper: upper, targetCount: targetCount).ticks.filter { $0 > 0 }
  }
}
