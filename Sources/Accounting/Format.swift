import Foundation
import SwiftletCore

/// Human-readable numbers for summaries and tables (never for JSON, which keeps full precision).
public enum Format {
  /// Three significant digits with thousands separators below a million, else scientific:
  /// 0.0123, 85.7, 1,287, 3.14e+23.
  public static func number(_ x: Double) -> String {
    guard x.isFinite else { return "\(x)" }
    let magnitude = abs(x)
    if magnitude == 0 { return "0" }
    if magnitude >= 1e6 || magnitude < 1e-3 { return scientific(x) }
    if magnitude >= 1000 { return groupedDigits(Int64(x.rounded())) }
    return String(format: "%.3g", x)
  }

  /// FLOPs (and other large counts) in scientific notation: "3.14e23".
  public static func flops(_ x: Double) -> String {
    guard x > 0, x.isFinite else { return "0" }
    return scientific(x)
  }

  /// Three significant digits as mantissa and exponent: "3.14e23", "-2.50e-5".
  static func scientific(_ x: Double) -> String {
    var exponent = Int(floor(log10(abs(x))))
    var mantissa = x / pow(10, Double(exponent))
    if abs((mantissa * 100).rounded()) >= 1000 {  // 9.996 rounds to 10.00
      exponent += 1
      mantissa /= 10
    }
    return String(format: "%.2fe%d", mantissa, exponent)
  }

  /// kWh with a unit that keeps the number readable: "12.3 Wh", "85.7 kWh", "1,287 MWh".
  public static func energy(kWh: Double) -> String { metric(kWh, "kWh", thousandth: "Wh", thousandfold: "MWh") }

  /// kg with a unit: "12 g", "46.7 kg", "552 t".
  public static func mass(kg: Double) -> String { metric(kg, "kg", thousandth: "g", thousandfold: "t") }

  /// `x` in `unit`, or in the unit a thousand times smaller or larger when that keeps the number
  /// readable (0 stays in `unit`).
  private static func metric(_ x: Double, _ unit: String, thousandth: String, thousandfold: String) -> String {
    if x >= 1000 { return number(x / 1000) + " " + thousandfold }
    if x >= 1 || x == 0 { return number(x) + " " + unit }
    return number(x * 1000) + " " + thousandth
  }

  /// "45 s", "3.2 min", "5.1 h", "14.8 days".
  public static func duration(seconds: Double) -> String {
    if seconds >= 2 * 86400 { return number(seconds / 86400) + " days" }
    if seconds >= 2 * 3600 { return number(seconds / 3600) + " h" }
    if seconds >= 120 { return number(seconds / 60) + " min" }
    return number(seconds) + " s"
  }

  /// Binary units: "512 MiB", "12.3 GiB".
  public static func bytes(_ x: Double) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
    var value = x
    var unit = 0
    while value >= 1024 && unit < units.count - 1 {
      value /= 1024
      unit += 1
    }
    return number(value) + " " + units[unit]
  }

  /// FLOP/s with an SI prefix: "88.1 GFLOP/s", "125 TFLOP/s".
  public static func rate(_ flopsPerSecond: Double) -> String {
    let prefixes: [(Double, String)] = [(1e18, "E"), (1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M")]
    for (scale, prefix) in prefixes where flopsPerSecond >= scale {
      return number(flopsPerSecond / scale) + " \(prefix)FLOP/s"
    }
    return number(flopsPerSecond) + " FLOP/s"
  }
}
