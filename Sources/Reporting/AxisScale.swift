import Foundation

/// Maps data values on one axis to a 0…1 fraction of the plot, with its ticks and their labels.
struct AxisScale {
  enum Kind {
    case linear
    case logarithmic
  }

  var kind: Kind
  var lower: Double
  var upper: Double
  var ticks: [Double]
  var labels: [String]

  /// A scale covering `values`.
  ///
  /// - Parameters:
  ///   - niceBounds: widen a linear domain to the enclosing ticks (y axes); otherwise the domain
  ///     is the data's own extent (x axes, so lines reach both edges).
  ///   - includeZero: make a linear domain include 0 (throughput, MFU, cumulative energy).
  ///   - targetTickCount: about how many intervals between ticks.
  init(
    kind: Kind, covering values: [Double], niceBounds: Bool, includeZero: Bool = false,
    targetTickCount: Int = 5
  ) {
    let usable = values.filter { $0.isFinite && (kind == .linear || $0 > 0) }
    self.kind = kind
    switch kind {
    case .linear:
      var low = usable.min() ?? 0
      var high = usable.max() ?? 1
      if includeZero {
        low = min(low, 0)
        high = max(high, 0)
      }
      if high - low <= abs(high) * 1e-12 {  // one value (or none): a band around it
        let pad = high == 0 ? 1 : abs(high) * 0.1
        low -= pad
        high += pad
      }
      let ticks: [Double]
      let step: Double
      if niceBounds {
        (low, high, ticks, step) = AxisTicks.niceBounds(
          lower: low, upper: high, targetCount: targetTickCount)
      } else {
        (ticks, step) = AxisTicks.linear(lower: low, upper: high, targetCount: targetTickCount)
      }
      (lower, upper, self.ticks) = (low, high, ticks)
      labels = NumberFormatting.tickLabels(ticks, step: step)
    case .logarithmic:
      var low = usable.min() ?? 1
      var high = usable.max() ?? 10
      if high / low < 1.000001 {
        low /= 1.5
        high *= 1.5
      }
      // 4% of the log range as margin so the extremes do not sit on the frame.
      let margin = pow(high / low, 0.04)
      (low, high) = (low / margin, high * margin)
      let ticks = AxisTicks.logarithmic(lower: low, upper: high, targetCount: targetTickCount)
      (lower, upper, self.ticks) = (low, high, ticks)
      labels = ticks.map { NumberFormatting.si($0) }
    }
  }

  /// Where `value` falls between `lower` (0) and `upper` (1); nil if it cannot be drawn
  /// (non-finite, or not positive on a log scale).
  func fraction(_ value: Double) -> Double? {
    guard value.isFinite else { return nil }
    switch kind {
    case .linear:
      return (value - lower) / (upper - lower)
    case .logarithmic:
      guard value > 0 else { return nil }
      return log(value / lower) / log(upper / lower)
    }
  }
}
