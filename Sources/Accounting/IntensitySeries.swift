import Foundation
import SwiftletCore

/// Grid carbon intensity over time (docs/accounting.md): a step function read from a CSV
/// with the header `timestamp,gco2_per_kwh`, ISO 8601 UTC timestamps in ascending order, each
/// value holding until the next timestamp.
///
/// The series covers `[start, end)`, where `end` is the last timestamp plus the series' last
/// interval (an hourly series of 48 rows covers 48 hours). Before `start` there is no value:
/// callers refuse such instants. After `end` the last value is held (`intensity(at:)` and the
/// integrals do so; callers warn once). Formulas: docs/accounting.md, "Carbon over time".
public struct IntensitySeries: Equatable, Sendable {
  /// The header every file must start with.
  public static let header = "timestamp,gco2_per_kwh"

  /// Seconds since the Unix epoch, strictly ascending.
  public let times: [Double]
  /// gCO2e/kWh from `times[i]` until `times[i + 1]`.
  public let values: [Double]
  /// Where the series came from (a path), for messages.
  public let source: String
  /// `∫ I dt` from `start` to `times[i]` (g/kWh · s), so any integral is two look-ups: a
  /// plan over a year of 5-minute data stays fast.
  private let cumulative: [Double]

  /// A validated series: at least one point, times strictly ascending, values finite and ≥ 0.
  public init(times: [Double], values: [Double], source: String = "series") throws {
    guard !times.isEmpty, times.count == values.count else {
      throw SwiftletError("\(source): the intensity series has no rows below its header")
    }
    for i in times.indices {
      guard values[i].isFinite, values[i] >= 0 else {
        throw SwiftletError("\(source): gco2_per_kwh must be a non-negative number, got \(values[i])")
      }
      if i > 0, times[i] <= times[i - 1] {
        throw SwiftletError(
          "\(source): timestamp \(UTCTimestamp.string(times[i])) is not after \(UTCTimestamp.string(times[i - 1])); "
            + "timestamps must be ascending without repeats")
      }
    }
    self.times = times
    self.values = values
    self.source = source
    var running = 0.0
    cumulative = times.indices.map { i in
      if i > 0 { running += values[i - 1] * (times[i] - times[i - 1]) }
      return running
    }
  }

  /// Reads the CSV at `path`.
  public static func load(path: String) throws -> IntensitySeries {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw SwiftletError("cannot read the intensity series \(path): no such file or not readable")
    }
    return try IntensitySeries(csv: String(decoding: data, as: UTF8.self), source: path)
  }

  /// Parses CSV text; every error names the file and line.
  public init(csv text: String, source: String) throws {
    var times: [Double] = []
    var values: [Double] = []
    var lineOfPrevious = 0
    var sawHeader = false
    // isNewline, not "\n": Swift reads a CRLF pair as one Character, which "\n" does not match.
    for (index, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
      let number = index + 1
      let line = raw.trimmingCharacters(in: CharacterSet.whitespaces.union(["\u{FEFF}"]))
      if line.isEmpty { continue }
      let fields = line.split(separator: ",", omittingEmptySubsequences: false).map {
        $0.trimmingCharacters(in: .whitespaces)
      }
      if !sawHeader {
        guard fields.map({ $0.lowercased() }) == ["timestamp", "gco2_per_kwh"] else {
          throw SwiftletError(
            "\(source) line \(number): missing header: the first line must be '\(Self.header)', got '\(line)'")
        }
        sawHeader = true
        continue
      }
      guard fields.count == 2 else {
        throw SwiftletError(
          "\(source) line \(number): expected 2 fields (\(Self.header)), got \(fields.count): '\(line)'")
      }
      let time = try UTCTimestamp.parse(fields[0], what: "\(source) line \(number): timestamp")
      guard let value = Double(fields[1]), value.isFinite else {
        throw SwiftletError("\(source) line \(number): gco2_per_kwh '\(fields[1])' is not a number")
      }
      guard value >= 0 else {
        throw SwiftletError("\(source) line \(number): gco2_per_kwh must not be negative, got \(fields[1])")
      }
      if let last = times.last, time <= last {
        let what = time == last ? "repeats the timestamp of" : "is earlier than"
        throw SwiftletError(
          "\(source) line \(number): \(fields[0]) \(what) line \(lineOfPrevious); "
            + "timestamps must be ascending without repeats")
      }
      times.append(time)
      values.append(value)
      lineOfPrevious = number
    }
    guard sawHeader else {
      throw SwiftletError("\(source): missing header: the file is empty, expected '\(Self.header)' and rows")
    }
    try self.init(times: times, values: values, source: source)
  }

  /// The first instant with a value.
  public var start: Double { times[0] }

  /// The end of the last value's interval: the last timestamp plus the previous interval (the
  /// series' own step); a one-row series ends at its timestamp.
  public var end: Double {
    times.count > 1 ? times[times.count - 1] * 2 - times[times.count - 2] : times[0]
  }

  /// The index of the value in force at `time` (the last timestamp ≤ `time`); nil before `start`.
  public func index(at time: Double) -> Int? {
    guard time >= start else { return nil }
    var low = 0
    var high = times.count  // invariant: times[low] <= time, answer in [low, high)
    while high - low > 1 {
      let middle = (low + high) / 2
      if times[middle] <= time { low = middle } else { high = middle }
    }
    return low
  }

  /// gCO2e/kWh at `time` (the last value is held past `end`); nil before `start`.
  public func intensity(at time: Double) -> Double? {
    index(at: time).map { values[$0] }
  }

  /// The first instant at or after `time` whose intensity is at most `limit`: `time` itself
  /// when it already is; nil when the series never drops that low again (the last value is
  /// held for ever).
  public func nextTime(atOrBelow limit: Double, from time: Double) -> Double? {
    let first = index(at: time) ?? 0
    if time >= start, values[first] <= limit { return time }
    for i in (time < start ? 0 : first + 1)..<times.count where values[i] <= limit {
      return max(times[i], time)
    }
    return nil
  }

  /// ∫ intensity dt from `from` to `to` (g/kWh · s), holding the last value past the end.
  /// `from` must not be before `start` (0 otherwise).
  public func integral(from: Double, to: Double) -> Double {
    guard to > from, from >= start else { return 0 }
    return antiderivative(to) - antiderivative(from)
  }

  /// `∫ I dt` from `start` to `time` (≥ `start`): the whole intervals before it plus the part of
  /// its own.
  private func antiderivative(_ time: Double) -> Double {
    let i = index(at: time) ?? 0
    return cumulative[i] + values[i] * (time - times[i])
  }

  /// The time-weighted mean intensity over `[from, to)` (the value at `from` when empty).
  public func mean(from: Double, to: Double) -> Double {
    to > from ? integral(from: from, to: to) / (to - from) : intensity(at: from) ?? 0
  }
}
