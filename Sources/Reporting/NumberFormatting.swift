import Foundation
import SwiftletCore

/// Short number text for axes and tables: SI suffixes for large values (`1.2k`, `3.4M`),
/// scientific notation for small ones (`1.1e-3`), plain decimals in between.
enum NumberFormatting {
  private static let suffixes = ["", "k", "M", "G", "T", "P", "E"]

  /// `value` with three significant digits and trailing zeros removed.
  ///
  /// 0.01 ≤ |v| < 1000 prints as a decimal (`0.0123`, `12.3`), 1e3 ≤ |v| < 1e21 with an SI
  /// suffix (`1.23k` … `4.5E`), anything else in scientific notation (`1.1e-3`, `2e21`).
  static func si(_ value: Double) -> String {
    guard value.isFinite else { return value.isNaN ? "NaN" : (value < 0 ? "-∞" : "∞") }
    if value == 0 { return "0" }
    let magnitude = abs(value)
    if magnitude >= 1e3 && magnitude < 1e21 {
      var power = min(Int(floor(log10(magnitude) / 3)), suffixes.count - 1)
      var scaled = value / pow(1000, Double(power))
      // Rounding can reach the next power (999.96k → 1000k): move up a suffix then.
      if abs(rounded(scaled)) >= 1000 && power < suffixes.count - 1 {
        power += 1
        scaled = value / pow(1000, Double(power))
      }
      return decimal(scaled) + suffixes[power]
    }
    if magnitude >= 1e-2 && magnitude < 1e3 { return decimal(value) }
    return scientific(value)
  }

  /// `value` as JSONEncoder writes it in the run files: the shortest text that reads back
  /// exactly, without a trailing `.0` (`124439808`, `0.41`, `1e-05`).
  static func asWritten(_ value: Double) -> String {
    let text = "\(value)"
    return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
  }

  /// Labels for axis ticks spaced `step` apart, in one shared style so they line up: the SI
  /// suffix of the largest tick for all when it reaches 10k, or scientific notation for all when
  /// it is below 0.01,
  /// and as many decimals as the step needs (`0.2M, 0.4M`; `0.05, 0.10`).
  static func tickLabels(_ ticks: [Double], step: Double) -> [String] {
    let reference = ticks.map(abs).max() ?? 0
    guard reference > 0, step > 0, step.isFinite else { return ticks.map { si($0) } }
    if reference < 1e-2 || reference >= 1e21 {
      return ticks.map { $0 == 0 ? "0" : scientific($0) }
    }
    // Four-digit ticks (500 … 2500) read fine plain; suffixes start at 10k.
    let power = reference >= 1e4 ? min(Int(floor(log10(reference) / 3)), suffixes.count - 1) : 0
    let unit = pow(1000, Double(power))
    let decimals = max(0, -Int(floor(log10(step / unit) + 1e-9)))
    return ticks.map { tick in
      tick == 0 ? "0" : String(format: "%.\(decimals)f", tick / unit) + suffixes[power]
    }
  }

  /// An integral value with thousands separators (`124,439,808`), or nil if not integral or
  /// too large to print exactly.
  static func grouped(_ value: Double) -> String? {
    guard value.isFinite, value == value.rounded(), abs(value) < 1e15 else { return nil }
    return groupedDigits(Int64(value))
  }

  /// A duration in hours as `2 h 05 min`, `3 min 20 s` or `12.3 s`.
  static func duration(hours: Double) -> String {
    guard hours.isFinite, hours >= 0 else { return si(hours) }
    let seconds = hours * 3600
    if seconds < 60 { return decimal(seconds) + " s" }
    let totalSeconds = Int(seconds.rounded())
    if totalSeconds < 3600 {
      return "\(totalSeconds / 60) min \(String(format: "%02d", totalSeconds % 60)) s"
    }
    let totalMinutes = Int((seconds / 60).rounded())
    if totalMinutes < 48 * 60 {
      return "\(totalMinutes / 60) h \(String(format: "%02d", totalMinutes % 60)) min"
    }
    return decimal(hours / 24) + " days"
  }

  private static func rounded(_ value: Double) -> Double {
    let scale = pow(10, Double(decimalsFor(value)))
    return (value * scale).rounded() / scale
  }

  /// The decimals that leave three significant digits.
  private static func decimalsFor(_ value: Double) -> Int {
    guard value != 0 else { return 0 }
    return max(0, 2 - Int(floor(log10(abs(value)))))
  }

  private static func decimal(_ value: Double) -> String {
    strippingZeros(String(format: "%.\(decimalsFor(value))f", value))
  }

  private static func scientific(_ value: Double) -> String {
    let text = String(format: "%.2e", value)  // 1.10e-03
    guard let e = text.firstIndex(of: "e") else { return text }
    let mantissa = strippingZeros(String(text[..<e]))
    let exponent = Int(text[text.index(after: e)...]) ?? 0
    return "\(mantissa)e\(exponent)"
  }

  /// `1.200` → `1.2`, `3.000` → `3`; integers are left alone.
  private static func strippingZeros(_ text: String) -> String {
    guard text.contains(".") else { return text }
    var result = Substring(text)
    while result.hasSuffix("0") { result = result.dropLast() }
    if result.hasSuffix(".") { result = result.dropLast() }
    return String(result)
  }
}
