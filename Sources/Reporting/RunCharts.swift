import Foundation
import RunFiles

/// The page's three figures, built from the metrics log (and `report.json`'s projection).
struct RunCharts {
  /// `LossScale.automatic` turns logarithmic when the finite losses span more than this factor:
  /// then the first steps' drop would flatten the rest of a linear chart.
  static let automaticLogRatio = 3.0
  static let width = 1120.0
  /// Evaluations drawn as dots up to this many; more are drawn as a plain line.
  static let maximumEvalMarkers = 80

  let log: MetricsHistory
  /// `report.json`, if it is there and in this version's format.
  let report: RunReport?
  let lossScale: RunReportPage.LossScale
  /// Train lines carry cumulative `tokens`: token-based x axes. Otherwise they fall back to steps.
  private let hasTokens: Bool

  init(log: MetricsHistory, report: RunReport?, lossScale: RunReportPage.LossScale = .automatic) {
    self.log = log
    self.report = report
    self.lossScale = lossScale
    hasTokens = log.train.contains { $0.tokens != nil }
  }

  private enum Palette {
    static let train = "#1f5fa8"
    static let validation = "#d1495b"
    static let throughput = "#2a9d8f"
    static let mfu = "#7b4fa0"
    static let median = "#444444"
    static let energy = "#e07a1f"
    static let co2e = "#5d6b2f"
    static let intensity = "#3a7d44"
  }

  private func x(_ record: TrainMetrics) -> Double? {
    hasTokens ? record.tokens.map(Double.init) : Double(record.step)
  }

  private var xName: String { hasTokens ? "tokens" : "step" }

  /// The y-axis kind the loss chart uses under `lossScale`.
  var lossAxisKind: AxisScale.Kind {
    switch lossScale {
    case .linear: return .linear
    case .log: return .logarithmic
    case .automatic:
      let losses = (log.train.compactMap(\.loss) + log.eval.compactMap(\.validationLoss))
        .filter { $0 > 0 }
      guard let low = losses.min(), let high = losses.max() else { return .linear }
      return high / low > Self.automaticLogRatio ? .logarithmic : .linear
    }
  }

  /// Figure 1: train and validation loss against tokens.
  func lossFigure() -> SVGFigure {
    let train = ChartSeries(
      name: "train loss", color: Palette.train,
      segments: ChartSeries.segments(log.train.map { (x($0), $0.loss) }))
    let validationSegments = ChartSeries.segments(
      log.eval.map { record in
        (
          hasTokens ? record.tokens : Double(record.step), record.validationLoss,
          record.validationLoss.map {
            "step \(record.step): val loss \(String(format: "%.4f", $0))"
          }
        )
      })
    // A dot per evaluation while they stay apart; beyond that the dots would merge into a band.
    let validation = ChartSeries(
      name: "validation loss", color: Palette.validation, segments: validationSegments,
      style: log.eval.count <= Self.maximumEvalMarkers ? .markers : .line)
    let chart = LineChart(
      title: "Loss", xLabel: xName, yLabel: "cross-entropy (nats/token)",
      series: [train, validation], yKind: lossAxisKind)
    return SVGFigure(
      width: Self.width, height: 400, label: "Train and validation loss", charts: [chart])
  }

  /// Figure 2: throughput and MFU over steps, each with its median as a dashed reference.
  func throughputFigure() -> SVGFigure {
    func chart(
      title: String, label: String, name: String, unit: String, color: String,
      value: (TrainMetrics) -> Double?
    ) -> LineChart {
      let points = log.train.map { (Optional(Double($0.step)), value($0)) }
      var series = [ChartSeries(name: name, color: color, segments: ChartSeries.segments(points))]
      if let median = RunSummary.median(log.steadyTrain.compactMap(value)),
        let first = log.train.first?.step, let last = log.train.last?.step, last > first
      {
        series.append(
          ChartSeries(
            name: "median \(NumberFormatting.si(median))\(unit)", color: Palette.median,
            segments: [
              [ChartPoint(x: Double(first), y: median), ChartPoint(x: Double(last), y: median)]
            ],
            style: .dashed))
      }
      return LineChart(
        title: title, xLabel: "step", yLabel: label, series: series, yIncludesZero: true)
    }
    return SVGFigure(
      width: Self.width, height: 320, label: "Throughput and MFU over steps",
      charts: [
        chart(
          title: "Throughput", label: "tokens/s", name: "tokens/s", unit: "",
          color: Palette.throughput,
          value: \.tokensPerSecond),
        chart(
          title: "MFU", label: "MFU (%)", name: "MFU", unit: " %", color: Palette.mfu,
          value: { $0.mfu.map { $0 * 100 } }),
      ])
  }

  /// Whether the train lines carry `grid_intensity` (runs charged from an intensity series).
  var hasIntensity: Bool { log.train.contains { $0.gridIntensity != nil } }

  /// Figure 4 (intensity series only): the grid intensity each step was charged at, and the
  /// CO2e of each step (the difference of the cumulative ledger), over steps.
  func intensityFigure() -> SVGFigure {
    let intensity = ChartSeries(
      name: "gCO2e/kWh", color: Palette.intensity,
      segments: ChartSeries.segments(log.train.map { (Optional(Double($0.step)), $0.gridIntensity) }))
    var previous: TrainMetrics?
    var perStep: [(x: Double?, y: Double?)] = []
    for record in log.train {
      var increment: Double?
      if let before = previous, before.step == record.step - 1, let now = record.co2eKg, let then = before.co2eKg {
        increment = (now - then) * 1000
      }
      perStep.append((Double(record.step), increment))
      previous = record
    }
    let co2e = ChartSeries(name: "g CO2e per step", color: Palette.co2e, segments: ChartSeries.segments(perStep))
    return SVGFigure(
      width: Self.width, height: 320, label: "Grid intensity and CO2e per step",
      charts: [
        LineChart(
          title: "Grid intensity", xLabel: "step", yLabel: "gCO2e/kWh", series: [intensity], yIncludesZero: true),
        LineChart(title: "CO2e per step", xLabel: "step", yLabel: "g", series: [co2e], yIncludesZero: true),
      ])
  }

  /// The projected full-run totals from `report.json` (`projection.tokens`, `.energy_kwh`,
  /// `.co2e_kg`), when present and finite.
  var projection: (tokens: Double, energyKWh: Double?, co2eKg: Double?)? {
    guard let projection = report?.projection, projection.tokens.isFinite else { return nil }
    func finite(_ value: Double) -> Double? { value.isFinite ? value : nil }
    return (projection.tokens, finite(projection.energyKWh), finite(projection.co2eKg))
  }

  /// Whether the ledger charts draw the projection: `report.json` has one that reaches beyond
  /// the tokens logged so far (a finished run's projection is its own end point).
  var drawsProjection: Bool {
    guard hasTokens, let projection, let done = log.train.last(where: { $0.tokens != nil })?.tokens
    else { return false }
    return projection.tokens > Double(done) && (projection.energyKWh != nil || projection.co2eKg != nil)
  }

  /// Figure 3: the cumulative energy and CO2e ledger over tokens, each with a dashed line to
  /// the projected total of the full run when `report.json` holds one.
  func ledgerFigure() -> SVGFigure {
    func chart(
      title: String, quantity: String, unit: String, color: String, value: (TrainMetrics) -> Double?,
      projected: Double?
    ) -> LineChart {
      var actual = ChartSeries(
        name: "so far", color: color,
        segments: ChartSeries.segments(log.train.map { (x($0), value($0)) }),
        marksEnd: true)
      if let now = actual.points.last?.y {
        actual.name = "so far: \(NumberFormatting.si(now)) \(unit)"
      }
      var series = [actual]
      if drawsProjection, let projection, let projected, let last = actual.points.last,
        projection.tokens > last.x
      {
        series.append(
          ChartSeries(
            name: "projected full run", color: color,
            segments: [[last, ChartPoint(x: projection.tokens, y: projected)]], style: .dashed,
            endLabel: "\(NumberFormatting.si(projected)) \(unit) at "
              + "\(NumberFormatting.si(projection.tokens)) tokens"))
      }
      return LineChart(
        title: title, xLabel: xName, yLabel: "cumulative \(unit)", series: series,
        yIncludesZero: true,
        emptyMessage: "no \(quantity) figures in metrics.jsonl")
    }
    return SVGFigure(
      width: Self.width, height: 340, label: "Energy and CO2e ledger over tokens",
      charts: [
        chart(
          title: "Energy", quantity: "energy", unit: "kWh", color: Palette.energy,
          value: \.energyKWh,
          projected: projection?.energyKWh),
        chart(
          title: "CO2e", quantity: "CO2e", unit: "kg", color: Palette.co2e, value: \.co2eKg,
          projected: projection?.co2eKg),
      ])
  }
}
