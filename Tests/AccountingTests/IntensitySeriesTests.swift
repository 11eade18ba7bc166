import Accounting
import Foundation
import SwiftletCore
import Testing

/// The intensity series, its clock and the best-start search (issue 18, contract section 10).
struct IntensitySeriesTests {
  static let t0 = UTCTimestamp.seconds("2024-01-15T00:00:00Z")!

  @Test func timestampsRoundTripAndConvertOffsets() throws {
    #expect(UTCTimestamp.seconds("1970-01-01T00:00:00Z") == 0)
    #expect(UTCTimestamp.seconds("2024-02-29T12:30:15Z") == 1_709_209_815)
    #expect(UTCTimestamp.seconds("2024-02-29T14:30:15+02:00") == 1_709_209_815)
    #expect(UTCTimestamp.seconds("2024-02-29 12:30:15.5Z") == 1_709_209_815.5)
    #expect(UTCTimestamp.string(1_709_209_815) == "2024-02-29T12:30:15Z")
    #expect(UTCTimestamp.string(1_709_209_815.25) == "2024-02-29T12:30:15.250Z")
    for bad in ["2024-02-30T00:00:00Z", "2024-01-15T00:00:00", "2024-01-15", "yesterday", "2024-13-01T00:00Z"] {
      #expect(UTCTimestamp.seconds(bad) == nil, "\(bad)")
    }
    // Dates far from 1970 on both sides.
    for text in ["1900-03-01T00:00:00Z", "2100-12-31T23:59:59Z", "2000-02-29T00:00:00Z"] {
      #expect(UTCTimestamp.string(UTCTimestamp.seconds(text)!) == text)
    }
  }

  @Test func stepFunctionLookupIntegralAndNextCleanTime() throws {
    let csv =
      "timestamp,gco2_per_kwh\n2024-01-15T00:00:00Z,100\n2024-01-15T01:00:00Z,900\r\n2024-01-15T02:00:00Z,300\n\n"
    let series = try IntensitySeries(csv: csv, source: "test.csv")
    let t0 = Self.t0
    #expect(series.times == [t0, t0 + 3600, t0 + 7200])
    #expect(series.end == t0 + 3 * 3600)
    #expect(series.intensity(at: t0 - 1) == nil)
    #expect(series.intensity(at: t0) == 100)
    #expect(series.intensity(at: t0 + 3599.9) == 100)
    #expect(series.intensity(at: t0 + 3600) == 900)
    #expect(series.intensity(at: t0 + 86_400) == 300, "the last value is held past the end")
    #expect(series.integral(from: t0 + 1800, to: t0 + 5400) == 100 * 1800 + 900 * 1800)
    #expect(series.integral(from: t0 + 7200, to: t0 + 4 * 3600) == 300 * 7200)
    #expect(series.mean(from: t0, to: t0 + 7200) == 500)
    #expect(series.nextTime(atOrBelow: 500, from: t0 + 10) == t0 + 10)
    #expect(series.nextTime(atOrBelow: 500, from: t0 + 4000) == t0 + 7200)
    #expect(series.nextTime(atOrBelow: 200, from: t0 + 4000) == nil)
  }

  /// Item 5 of the issue: each malformed file is one line naming the file, the line and the fault.
  @Test(arguments: [
    ("2024-01-15T00:00:00Z,100\n", "missing header"),
    ("time,value\n2024-01-15T00:00:00Z,100\n", "missing header"),
    ("", "missing header"),
    ("timestamp,gco2_per_kwh\n", "no rows"),
    (
      "timestamp,gco2_per_kwh\n2024-01-15T01:00:00Z,100\n2024-01-15T00:00:00Z,200\n",
      "line 3: 2024-01-15T00:00:00Z is earlier than line 2"
    ),
    ("timestamp,gco2_per_kwh\n2024-01-15T00:00:00Z,100\n2024-01-15T00:00:00Z,200\n", "repeats the timestamp of line 2"),
    ("timestamp,gco2_per_kwh\n2024-01-15T00:00:00Z,-5\n", "line 2: gco2_per_kwh must not be negative"),
    ("timestamp,gco2_per_kwh\n2024-01-15T00:00:00Z,lots\n", "line 2: gco2_per_kwh 'lots' is not a number"),
    ("timestamp,gco2_per_kwh\n2024-01-15T00:00:00Z,nan\n", "is not a number"),
    ("timestamp,gco2_per_kwh\n2024-01-15T00:00:00Z\n", "expected 2 fields"),
    ("timestamp,gco2_per_kwh\n2024-01-15 00:00,100\n", "not an ISO 8601 UTC timestamp"),
  ])
  func badSeriesAreOneLineErrors(csv: String, expected: String) throws {
    do {
      _ = try IntensitySeries(csv: csv, source: "bad.csv")
      Issue.record("accepted: \(csv)")
    } catch let error as SwiftletError {
      #expect(error.message.contains(expected), "\(error.message)")
      #expect(error.message.hasPrefix("bad.csv"), "\(error.message)")
      #expect(!error.message.contains("\n"))
    }
  }

  /// The best start agrees with a brute force over every hour of a 48-hour series.
  @Test func bestStartMatchesBruteForce() throws {
    let values = Self.twoDays()
    let series = try IntensitySeries(
      times: values.indices.map { Self.t0 + Double($0) * 3600 }, values: values, source: "two-days")
    let hours = 5.5
    let energy = 123.0
    let window = try CarbonWindow.search(
      series: series, energyKWh: energy, durationSeconds: hours * 3600, startAfter: Self.t0 + 2 * 3600,
      deadline: Self.t0 + 46 * 3600)
    var bestHour = -1
    var bestKg = Double.infinity
    for hour in 2...40 {  // 40 + 5.5 ≤ 46
      let grams = values[hour..<hour + 5].reduce(0, +) + 0.5 * values[hour + 5]
      let kg = energy / hours * grams / 1000
      if kg < bestKg { (bestHour, bestKg) = (hour, kg) }
    }
    #expect(window.bestStart == Self.t0 + Double(bestHour) * 3600)
    #expect(abs(window.co2eKgBestStart - bestKg) <= 1e-9 * bestKg)
    let earliest = energy / hours * (values[2..<7].reduce(0, +) + 0.5 * values[7]) / 1000
    #expect(abs(window.co2eKgEarliestStart - earliest) <= 1e-9 * earliest)
    #expect(window.savingKg > 0)
    #expect(!window.holdsLastValue)
  }

  @Test func badWindowsAreErrors() throws {
    let values = Self.twoDays()
    let series = try IntensitySeries(
      times: values.indices.map { Self.t0 + Double($0) * 3600 }, values: values, source: "two-days")
    func message(_ startAfter: Double, _ deadline: Double, hours: Double = 4) -> String {
      do {
        _ = try CarbonWindow.search(
          series: series, energyKWh: 1, durationSeconds: hours * 3600, startAfter: startAfter, deadline: deadline)
        return "accepted"
      } catch { return "\(error)" }
    }
    #expect(message(Self.t0 + 7200, Self.t0 + 3600).contains("must be after --start-after"))
    #expect(message(Self.t0, Self.t0 + 3 * 3600).contains("is shorter than the run"))
    #expect(
      message(Self.t0 - 3600, Self.t0 + 10 * 3600).contains("starts at 2024-01-15T00:00:00Z, after --start-after"))
    #expect(message(Self.t0 + 1800, Self.t0 + 4.9 * 3600).contains("no timestamp"))
    // Past the end: the last value is held and the result says so.
    let held = try CarbonWindow.search(
      series: series, energyKWh: 1, durationSeconds: 4 * 3600, startAfter: Self.t0 + 40 * 3600,
      deadline: Self.t0 + 60 * 3600)
    #expect(held.holdsLastValue)
  }

  /// A daily curve with a clean night and a windier second day, and a unique minimum.
  static func twoDays() -> [Double] {
    (0..<48).map { hour in
      let daily = 250 + 150 * sin(2 * Double.pi * Double(hour - 9) / 24)
      return (daily * (hour >= 24 ? 0.7 : 1) + Double((hour * 37) % 11)).rounded()
    }
  }
}
