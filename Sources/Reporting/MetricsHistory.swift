import Foundation
import RunFiles
import SwiftletCore

/// An evaluation (`EvalMetrics`) with the tokens seen at its step.
struct EvalRecord {
  var step: Int
  var validationLoss: Double?
  /// Not in the line: mapped from the train lines (`MetricsHistory.tokens(atStep:)`).
  var tokens: Double?
}

/// The parsed `RUN_DIR/metrics.jsonl`, as the report reads it (Training's `MetricsLog` writes it).
///
/// Train lines are sorted by step and a repeated step keeps its last line, so a log appended
/// to across resumes still draws as one curve. Lines that are not JSON objects are skipped
/// and counted; a torn last line (a writer killed mid-line) is expected and skipped too.
struct MetricsHistory {
  static let fileName = MetricsRecord.fileName

  var train: [TrainMetrics]
  var eval: [EvalRecord]
  /// Lines that could not be read (not JSON, not an object, no whole-number `step`).
  var skippedLines: Int
  /// Whether the last line was cut off (no newline and not valid JSON).
  var tornLastLine: Bool
  /// Train lines that carry `tokens`, as (step, tokens) sorted by step: the step → tokens map.
  private var tokensByStep: [(step: Int, tokens: Double)]
  /// The train lines after the first (or the only one): step 1 carries warm-up costs
  /// (first-touch allocation, thread start-up) that say nothing about the steady state.
  var steadyTrain: [TrainMetrics] { train.count > 1 ? Array(train.dropFirst()) : train }

  /// Reads `runDirectory/metrics.jsonl`.
  ///
  /// - Throws: `SwiftletError("no metrics in RUN_DIR: …")` when the file is missing, cannot be
  ///   read, or holds no train line.
  static func load(runDirectory: String) throws -> MetricsHistory {
    let path = (runDirectory as NSString).appendingPathComponent(fileName)
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: runDirectory, isDirectory: &isDirectory),
      isDirectory.boolValue
    else { throw SwiftletError("no metrics in \(runDirectory): no such directory") }
    guard FileManager.default.fileExists(atPath: path) else {
      throw SwiftletError("no metrics in \(runDirectory): \(fileName) does not exist")
    }
    guard let data = FileManager.default.contents(atPath: path) else {
      throw SwiftletError("no metrics in \(runDirectory): cannot read \(fileName)")
    }
    let log = MetricsHistory(parsing: [UInt8](data))
    guard !log.train.isEmpty else {
      throw SwiftletError("no metrics in \(runDirectory): \(fileName) has no train lines")
    }
    return log
  }

  /// Parses the bytes of a metrics file (no error: unreadable lines are counted, not fatal).
  init(parsing bytes: [UInt8]) {
    var trainByStep: [Int: TrainMetrics] = [:]
    var evals: [EvalRecord] = []
    var skipped = 0
    var torn = false
    let decoder = JSONDecoder()
    let lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
    let endsWithNewline = bytes.last == UInt8(ascii: "\n")
    for (number, rawLine) in lines.enumerated() {
      var line = rawLine
      if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
      if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
      let isLast = number == lines.count - 1
      guard let record = try? decoder.decode(MetricsRecord.self, from: Data(line)) else {
        if isLast && !endsWithNewline { torn = true } else { skipped += 1 }
        continue
      }
      switch record {
      case .train(let metrics): trainByStep[metrics.step] = metrics
      case .eval(let metrics): evals.append(EvalRecord(step: metrics.step, validationLoss: metrics.validationLoss))
      case .other: continue  // other kinds are for other readers
      }
    }
    train = trainByStep.values.sorted { $0.step < $1.step }
    skippedLines = skipped
    tornLastLine = torn
    tokensByStep = train.compactMap { record in record.tokens.map { (record.step, Double($0)) } }
    eval = []
    eval = evals.sorted { $0.step < $1.step }.map { record in
      var mapped = record
      mapped.tokens = tokens(atStep: record.step)
      return mapped
    }
  }

  /// Cumulative tokens after `step`, from the train lines.
  ///
  /// The train line of that step if it has `tokens`; otherwise linear interpolation between
  /// the nearest train lines around it, or extrapolation at the last observed tokens per step
  /// beyond either end. Nil when no train line has `tokens`.
  func tokens(atStep step: Int) -> Double? {
    let known = tokensByStep
    guard let first = known.first, let last = known.last else { return nil }
    // First known index whose step is >= `step` (binary search; `known` is sorted by step).
    var low = 0
    var high = known.count
    while low < high {
      let middle = (low + high) / 2
      if known[middle].step < step { low = middle + 1 } else { high = middle }
    }
    if low < known.count && known[low].step == step { return known[low].tokens }
    if low > 0 && low < known.count {
      let before = known[low - 1]
      let after = known[low]
      let fraction = Double(step - before.step) / Double(after.step - before.step)
      return before.tokens + fraction * (after.tokens - before.tokens)
    }
    let perStep: Double
    if known.count >= 2 {
      let (a, b) = low == 0 ? (known[0], known[1]) : (known[known.count - 2], last)
      perStep = (b.tokens - a.tokens) / Double(b.step - a.step)
    } else {
      perStep = first.step > 0 ? first.tokens / Double(first.step) : 0
    }
    let anchor = low == 0 ? first : last
    return max(0, anchor.tokens + Double(step - anchor.step) * perStep)
  }
}
