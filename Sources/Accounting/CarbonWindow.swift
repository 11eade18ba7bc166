import SwiftletCore

/// When to start a run so that it emits the least CO2e (`swiftlet plan --intensity-series`,
/// docs/accounting.md).
///
/// The run lasts `D` seconds of wall time and draws its energy `E` uniformly, so a start at
/// `s` emits `E / D · ∫ₛ^{s+D} I(t) dt` (I in g/kWh, converted to kg). The candidates are the
/// series' own timestamps `s` with `startAfter ≤ s` and `s + D ≤ deadline`; the earliest
/// candidate among equal minima wins. `co2eKgEarliestStart` is the same integral from
/// `startAfter` itself, the "start now" baseline the saving is measured against.
public struct CarbonWindow: Equatable, Sendable {
  /// Seconds since the epoch, on the series' time grid.
  public var bestStart: Double
  public var earliestStart: Double
  public var co2eKgBestStart: Double
  public var co2eKgEarliestStart: Double
  /// Time-weighted mean intensity over the run at the best start, g/kWh.
  public var meanIntensityBestStart: Double
  public var meanIntensityEarliestStart: Double
  /// Whether some run window examined reaches past the series' end (its last value was held).
  public var holdsLastValue: Bool

  /// kg CO2e saved by starting at the best start instead of the earliest.
  public var savingKg: Double { co2eKgEarliestStart - co2eKgBestStart }

  /// Searches the window; bad windows are one-line errors.
  ///
  /// - Parameters:
  ///   - energyKWh: the run's facility energy.
  ///   - durationSeconds: the run's wall-clock time.
  ///   - startAfter, deadline: seconds since the epoch.
  public static func search(
    series: IntensitySeries, energyKWh: Double, durationSeconds: Double, startAfter: Double, deadline: Double
  ) throws -> CarbonWindow {
    let from = UTCTimestamp.string(startAfter)
    let to = UTCTimestamp.string(deadline)
    guard deadline > startAfter else {
      throw SwiftletError("--deadline \(to) must be after --start-after \(from)")
    }
    guard durationSeconds > 0, durationSeconds.isFinite, energyKWh >= 0, energyKWh.isFinite else {
      throw SwiftletError("the run must have a positive duration and energy to place it in time")
    }
    guard deadline - startAfter >= durationSeconds else {
      throw SwiftletError(
        "the window \(from) – \(to) (\(Format.duration(seconds: deadline - startAfter))) is shorter than the run "
          + "(\(Format.duration(seconds: durationSeconds))); move --deadline later or shorten the run")
    }
    guard startAfter >= series.start else {
      throw SwiftletError(
        "\(series.source) starts at \(UTCTimestamp.string(series.start)), after --start-after \(from); "
          + "give a series that covers the whole window")
    }
    let latest = deadline - durationSeconds
    func co2e(_ start: Double) -> Double {
      energyKWh / durationSeconds * series.integral(from: start, to: start + durationSeconds) / 1000
    }
    var best: Double?
    var bestCO2e = Double.infinity
    var lastEnd = startAfter + durationSeconds
    for time in series.times where time >= startAfter && time <= latest {
      lastEnd = max(lastEnd, time + durationSeconds)
      let value = co2e(time)
      if value < bestCO2e {
        best = time
        bestCO2e = value
      }
    }
    guard let best else {
      throw SwiftletError(
        "no timestamp of \(series.source) lies between --start-after \(from) and "
          + "\(UTCTimestamp.string(latest)) (the deadline minus the run's duration); widen the window")
    }
    let earliestCO2e = co2e(startAfter)
    return CarbonWindow(
      bestStart: best, earliestStart: startAfter, co2eKgBestStart: bestCO2e, co2eKgEarliestStart: earliestCO2e,
      meanIntensityBestStart: series.mean(from: best, to: best + durationSeconds),
      meanIntensityEarliestStart: series.mean(from: startAfter, to: startAfter + durationSeconds),
      holdsLastValue: lastEnd > series.end)
  }
}
