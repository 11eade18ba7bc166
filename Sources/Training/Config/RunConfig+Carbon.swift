import Accounting
import SwiftletCore

extension RunConfig {
  /// The intensity-series keys (docs/accounting.md) make sense only together: a threshold or a mapped
  /// clock without a series would be silently ignored, and a series next to a fixed intensity
  /// would leave the reader guessing which one was charged.
  func validateCarbonKeys() throws {
    let series = settings.accounting.intensitySeries
    let pause = settings.accounting.pauseAbove
    guard pause.isFinite, pause >= 0 else {
      throw SwiftletError("accounting.pause_above must be a finite non-negative number of gCO2e/kWh, got \(pause)")
    }
    if series.isEmpty {
      if pause > 0 {
        throw SwiftletError(
          "accounting.pause_above needs accounting.intensity_series (a CSV of timestamp,gco2_per_kwh)")
      }
      if !settings.accounting.clockStart.isEmpty {
        throw SwiftletError(
          "accounting.clock_start needs accounting.intensity_series (a CSV of timestamp,gco2_per_kwh)")
      }
      return
    }
    if settings.accounting.gridIntensity > 0 || !settings.accounting.region.isEmpty {
      throw SwiftletError(
        "accounting.intensity_series replaces accounting.grid_intensity and accounting.region; give only one of them")
    }
    let clock = settings.accounting.clockStart
    if !clock.isEmpty { _ = try UTCTimestamp.parse(clock, what: "accounting.clock_start") }
  }

  /// `accounting.clock_start` in seconds since the epoch, nil for the real clock.
  var carbonClockStart: Double? {
    let clock = settings.accounting.clockStart
    return clock.isEmpty ? nil : UTCTimestamp.seconds(clock)
  }
}
