/// Summary statistics of a run computed from its metrics log alone (so the page has numbers
/// even before, or without, `report.json`).
struct RunSummary {
  /// A value and the step it was observed at.
  struct AtStep {
    var value: Double
    var step: Int
  }

  var trainLines: Int
  var firstStep: Int
  var lastStep: Int
  var evalLines: Int
  var firstLoss: AtStep?
  var lastLoss: AtStep?
  var minimumLoss: AtStep?
  var lastValidationLoss: AtStep?
  var minimumValidationLoss: AtStep?
  /// Medians over `MetricsHistory.steadyTrain`.
  var medianTokensPerSecond: Double?
  var medianMFU: Double?
  var tokens: Double?
  var flops: Double?
  var energyKWh: Double?
  var co2eKg: Double?
  /// Sum of `step_ms` over the logged steps, in hours (time in steps, not wall-clock).
  var stepHours: Double?

  init(_ log: MetricsHistory) {
    let train = log.train
    trainLines = train.count
    firstStep = train.first?.step ?? 0
    lastStep = train.last?.step ?? 0
    evalLines = log.eval.count
    let losses = train.compactMap { record in
      record.loss.map { AtStep(value: $0, step: record.step) }
    }
    firstLoss = losses.first
    lastLoss = losses.last
    minimumLoss = losses.min { $0.value < $1.value }
    let validation = log.eval.compactMap { record in
      record.validationLoss.map { AtStep(value: $0, step: record.step) }
    }
    lastValidationLoss = validation.last
    minimumValidationLoss = validation.min { $0.value < $1.value }
    let steady = log.steadyTrain
    medianTokensPerSecond = Self.median(steady.compactMap(\.tokensPerSecond))
    medianMFU = Self.median(steady.compactMap(\.mfu))
    tokens = train.last { $0.tokens != nil }?.tokens.map(Double.init)
    flops = train.last { $0.flops != nil }?.flops
    energyKWh = train.last { $0.energyKWh != nil }?.energyKWh
    co2eKg = train.last { $0.co2eKg != nil }?.co2eKg
    let stepTimes = train.compactMap(\.stepMilliseconds)
    stepHours = stepTimes.isEmpty ? nil : stepTimes.reduce(0, +) / 3_600_000
  }

  /// The middle value (mean of the two middle values for an even count); nil when empty.
  static func median(_ values: [Double]) -> Double? {
    guard !values.isEmpty else { return nil }
    let sorted = values.sorted()
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
  }
}
