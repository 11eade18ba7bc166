import Accounting
import Foundation
import Testing

/// `swiftlet plan --intensity-series F --start-after A --deadline B` (contract section 10)
/// against a brute force over a 48-hour hourly series written here.
struct CarbonPlanCommandTests {
  static let base = [
    "--params", "1.3e9", "--tokens", "2.6e10", "--hardware", "a100-40gb", "--devices", "16", "--hours", "5.5",
  ]

  /// A 48-hour hourly series in a temporary file, and its values.
  static func writeSeries(_ text: String? = nil) throws -> (path: String, values: [Double]) {
    let values = IntensitySeriesTests.twoDays()
    let csv =
      text
      ?? "timestamp,gco2_per_kwh\n"
      + values.enumerated().map { "\(UTCTimestamp.string(IntensitySeriesTests.t0 + Double($0) * 3600)),\($1)" }
      .joined(separator: "\n") + "\n"
    let path = FileManager.default.temporaryDirectory
      .appendingPathComponent("swiftlet-series-\(UUID().uuidString.prefix(8)).csv").path
    try csv.write(toFile: path, atomically: true, encoding: .utf8)
    return (path, values)
  }

  /// The arguments that plan the run on the series at `path`, starting after `start` and ending
  /// by `deadline`.
  static func window(_ path: String, from start: String, to deadline: String) -> [String] {
    ["--intensity-series", path, "--start-after", start, "--deadline", deadline]
  }

  @Test func bestStartAndCO2eMatchABruteForceOverEveryHour() throws {
    let (path, values) = try Self.writeSeries()
    let result = try PlanCommandTests.run(
      Self.base + Self.window(path, from: "2024-01-15T00:00:00Z", to: "2024-01-17T00:00:00Z") + ["--json"])
    #expect(result.status == 0, "\(result.stderr)")
    let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    let energy = try #require(object["energy_kwh"] as? Double)
    let hours = try #require(object["wall_hours"] as? Double)
    #expect(abs(hours - 5.5) < 1e-12)
    // Brute force: every hourly start whose 5.5-hour run ends by the deadline (hours 0…42).
    var best = (hour: -1, kg: Double.infinity)
    for hour in 0...42 {
      var grams = 0.0
      for slot in hour..<hour + 6 { grams += values[min(slot, 47)] * (slot == hour + 5 ? 0.5 : 1) }
      let kg = energy / 5.5 * grams / 1000
      if kg < best.kg { best = (hour, kg) }
    }
    let expectedStart = UTCTimestamp.string(IntensitySeriesTests.t0 + Double(best.hour) * 3600)
    let bestKg = try #require(object["co2e_kg_best_start"] as? Double)
    let earliestKg = try #require(object["co2e_kg_earliest_start"] as? Double)
    let earliest = energy / 5.5 * (values[0..<5].reduce(0, +) + 0.5 * values[5]) / 1000
    print(
      "plan best start \(object["best_start"] ?? "-") vs brute force \(expectedStart); "
        + "CO2e \(bestKg) vs \(best.kg) kg; earliest \(earliestKg) vs \(earliest) kg")
    #expect(object["best_start"] as? String == expectedStart)
    #expect(abs(bestKg - best.kg) <= 0.01 * best.kg)
    #expect(abs(earliestKg - earliest) <= 0.01 * earliest)
    #expect(object["co2e_kg"] as? Double == bestKg)

    let text = try PlanCommandTests.run(
      Self.base + Self.window(path, from: "2024-01-15T00:00:00Z", to: "2024-01-17T00:00:00Z"))
    #expect(text.status == 0)
    #expect(text.stdout.contains("best start \(expectedStart)") && text.stdout.contains("saves"), "\(text.stdout)")
  }

  @Test func aWindowPastTheSeriesEndHoldsTheLastValueWithOneWarning() throws {
    let (path, _) = try Self.writeSeries()
    let result = try PlanCommandTests.run(
      Self.base + Self.window(path, from: "2024-01-16T12:00:00Z", to: "2024-01-18T00:00:00Z") + ["--json"])
    #expect(result.status == 0, "\(result.stderr)")
    let warnings = result.stderr.split(separator: "\n").filter { $0.hasPrefix("warning: ") }
    #expect(warnings.count == 1, "\(result.stderr)")
  }

  /// Item 5 of the issue: each bad input is one `error:` line and a non-zero exit.
  @Test func badInputsAreOneLineErrors() throws {
    let (good, _) = try Self.writeSeries()
    let (noHeader, _) = try Self.writeSeries("2024-01-15T00:00:00Z,100\n2024-01-15T01:00:00Z,200\n")
    let (unsorted, _) = try Self.writeSeries(
      "timestamp,gco2_per_kwh\n2024-01-15T01:00:00Z,100\n2024-01-15T00:00:00Z,200\n")
    let (negative, _) = try Self.writeSeries("timestamp,gco2_per_kwh\n2024-01-15T00:00:00Z,-1\n")
    // (series, --start-after, --deadline, what the error says)
    let windows = [
      (good, "2024-01-16T00:00:00Z", "2024-01-15T12:00:00Z", "must be after --start-after"),
      (good, "2024-01-15T00:00:00Z", "2024-01-15T03:00:00Z", "shorter than the run"),
      (good, "2024-01-14T00:00:00Z", "2024-01-16T00:00:00Z", "after --start-after"),
      (noHeader, "2024-01-15T00:00:00Z", "2024-01-16T00:00:00Z", "missing header"),
      (unsorted, "2024-01-15T00:00:00Z", "2024-01-16T00:00:00Z", "is earlier than line 2"),
      (negative, "2024-01-15T00:00:00Z", "2024-01-16T00:00:00Z", "must not be negative"),
      (good, "tomorrow", "2024-01-16T00:00:00Z", "not an ISO 8601 UTC timestamp"),
    ]
    let cases: [([String], String)] =
      windows.map { series, start, deadline, expected in (Self.window(series, from: start, to: deadline), expected) }
      + [
        (
          ["--intensity-series", good, "--start-after", "2024-01-15T00:00:00Z"],
          "needs --start-after T and --deadline T"
        ),
        (["--start-after", "2024-01-15T00:00:00Z", "--deadline", "2024-01-16T00:00:00Z"], "need --intensity-series"),
      ]
    for (arguments, expected) in cases {
      let result = try PlanCommandTests.run(Self.base + arguments)
      let lines = result.stderr.split(separator: "\n")
      #expect(result.status != 0, "\(arguments)")
      #expect(lines.count == 1 && lines[0].hasPrefix("error: ") && lines[0].contains(expected), "\(result.stderr)")
    }
  }
}
