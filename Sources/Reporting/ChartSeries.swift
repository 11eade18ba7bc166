/// One named line of a chart: its points (split where values are missing) and how to draw it.
struct ChartSeries {
  enum Style {
    /// A solid line.
    case line
    /// A dashed line (projections, reference levels).
    case dashed
    /// A dot per point joined by a thin line (sparse series such as evaluations).
    case markers
  }

  var name: String
  /// An SVG colour (`#1f5fa8`).
  var color: String
  /// Runs of consecutive points; a missing value between two runs leaves a gap in the line.
  var segments: [[ChartPoint]]
  var style: Style = .line
  /// Text written beside a hollow marker on the series' last point (the projected total).
  var endLabel: String? = nil
  /// Draws a filled dot on the series' last point (where the run stands now).
  var marksEnd = false

  /// Splits `values` into runs at the nils: `[1, 2, nil, 3]` → `[[1, 2], [3]]` (as points).
  static func segments(_ values: [(x: Double?, y: Double?)]) -> [[ChartPoint]] {
    segments(values.map { ($0.x, $0.y, nil) })
  }

  /// As `segments(_:)`, each point carrying a tooltip note.
  static func segments(_ values: [(x: Double?, y: Double?, note: String?)]) -> [[ChartPoint]] {
    var segments: [[ChartPoint]] = []
    var current: [ChartPoint] = []
    for value in values {
      if let x = value.x, let y = value.y, x.isFinite, y.isFinite {
        current.append(ChartPoint(x: x, y: y, note: value.note))
      } else if !current.isEmpty {
        segments.append(current)
        current = []
      }
    }
    if !current.isEmpty { segments.append(current) }
    return segments
  }

  /// All points of all segments.
  var points: [ChartPoint] { segments.flatMap { $0 } }
}
