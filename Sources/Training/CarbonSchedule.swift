import Accounting
import Foundation
import SwiftletCore

/// A run's intensity series on its mapped clock (docs/accounting.md); rank 0 holds it and
/// broadcasts each step's decision, so ranks cannot diverge.
///
/// The mapped clock of a launch is `clock_start + (monotonic now − the launch's start)`: each
/// launch (segment) starts at `accounting.clock_start`, or at the real UTC time when it is not
/// set. A resumed replay therefore moves `clock_start` to where it should continue, usually
/// the `resume at` instant a pause printed (`launch/local.sh --wait-on-pause` does that);
/// docs/accounting.md, "Carbon over time".
final class CarbonSchedule {
  /// What the next step may do and what it is charged.
  struct Decision {
    /// The step's start on the mapped clock (seconds since the epoch).
    var time: Double
    var gramsPerKWh: Double
    /// The step would run above `accounting.pause_above`: checkpoint and exit 75 instead.
    var pause: Bool
    /// When pausing: the next instant at or below the threshold; nil if the series never gets there.
    var resumeAt: Double?
    /// A warning for rank 0 to print once (the series ran out).
    var warning: String?
  }

  let series: IntensitySeries
  /// nil: never pause.
  let pauseAbove: Double?
  /// Whether `accounting.clock_start` replays a period instead of following the real clock.
  let isReplay: Bool
  private(set) var clockStart: Double
  private var monotonicOrigin = MonotonicClock.now()
  private var warnedPastEnd = false

  /// Refuses a series that starts after the launch's start: there is no intensity to charge.
  init(series: IntensitySeries, pauseAbove: Double?, clockStart: Double?) throws {
    self.series = series
    self.pauseAbove = pauseAbove
    isReplay = clockStart != nil
    self.clockStart = clockStart ?? Date().timeIntervalSince1970
    guard self.clockStart >= series.start else {
      throw SwiftletError(
        "\(series.source) starts at \(UTCTimestamp.string(series.start)), after the run's start "
          + "\(UTCTimestamp.string(self.clockStart))\(isReplay ? " (accounting.clock_start)" : ""); "
          + "give a series that covers the run or set accounting.clock_start inside it")
    }
  }

  /// Starts the mapped clock now (at the top of the training loop, after start-up work).
  func startClock() {
    monotonicOrigin = MonotonicClock.now()
    if !isReplay { clockStart = Date().timeIntervalSince1970 }
  }

  /// The mapped clock now.
  var now: Double { clockStart + (MonotonicClock.now() - monotonicOrigin) }

  /// The decision for a step starting now.
  func decide() -> Decision {
    let time = now
    let grams = series.intensity(at: time) ?? series.values[0]  // clockStart ≥ start: never nil
    var warning: String?
    if time >= series.end && !warnedPastEnd {
      warnedPastEnd = true
      warning =
        "\(series.source) ends at \(UTCTimestamp.string(series.end)); holding its last value "
        + "(\(grams) gCO2e/kWh) from \(UTCTimestamp.string(time)) on"
    }
    let pause = pauseAbove.map { grams > $0 } ?? false
    return Decision(
      time: time, gramsPerKWh: grams, pause: pause,
      resumeAt: pause ? series.nextTime(atOrBelow: pauseAbove!, from: time) : nil, warning: warning)
  }
}
