import Foundation

/// A rectangle in SVG user units (y grows downwards).
struct ChartFrame {
  var x: Double
  var y: Double
  var width: Double
  var height: Double
}

/// One line chart drawn as SVG elements into a frame of a figure: title and legend on top,
/// 1-2-5 ticks with grid lines, axis labels, and each series downsampled to at most
/// `Downsampling.defaultMaximum` points (min/max decimation).
struct LineChart {
  var title: String
  var xLabel: String
  var yLabel: String
  var series: [ChartSeries]
  var yKind: AxisScale.Kind = .linear
  var yIncludesZero = false
  /// Shown in place of the plot when no series has a point.
  var emptyMessage = "no data"

  /// Space around the plot area for the title row, tick labels and axis labels.
  static let margins = (left: 78.0, right: 26.0, top: 40.0, bottom: 50.0)

  /// The plot area (inside the axes) of this chart in `frame`.
  static func plotArea(in frame: ChartFrame) -> ChartFrame {
    ChartFrame(
      x: frame.x + margins.left, y: frame.y + margins.top,
      width: max(10, frame.width - margins.left - margins.right),
      height: max(10, frame.height - margins.top - margins.bottom))
  }

  /// The series as they will be drawn: points a log axis cannot show removed, then each
  /// segment downsampled with a share of the series' points proportional to its length.
  func drawableSeries() -> [ChartSeries] {
    series.map { original in
      var drawn = original
      let segments = original.segments.map { segment in
        yKind == .logarithmic ? segment.filter { $0.y > 0 && $0.y.isFinite } : segment
      }.filter { !$0.isEmpty }
      let total = segments.reduce(0) { $0 + $1.count }
      drawn.segments = segments.map { segment in
        // `total` > 0: the segments are not empty.
        Downsampling.minMax(segment, maximum: max(4, Downsampling.defaultMaximum * segment.count / total))
      }
      return drawn
    }
  }

  /// The chart's SVG elements (no `<svg>` wrapper) in `frame`.
  func svg(in frame: ChartFrame) -> String {
    let plot = Self.plotArea(in: frame)
    let drawn = drawableSeries()
    let points = drawn.flatMap { $0.points }
    var out: [String] = []
    out.append(
      SVGElement.make(
        "text", ["class": "chart-title", "x": frame.x + 12, "y": frame.y + 22], text: title))
    if !points.isEmpty {
      out.append(legend(drawn, right: plot.x + plot.width, baseline: frame.y + 22))
    }
    out.append(
      SVGElement.make(
        "rect",
        ["class": "plot", "x": plot.x, "y": plot.y, "width": plot.width, "height": plot.height]))
    guard !points.isEmpty else {
      out.append(
        SVGElement.make(
          "text",
          [
            "class": "empty", "x": plot.x + plot.width / 2, "y": plot.y + plot.height / 2,
            "text-anchor": "middle",
          ], text: emptyMessage))
      return out.joined(separator: "\n")
    }
    let xScale = AxisScale(
      kind: .linear, covering: points.map(\.x), niceBounds: false,
      targetTickCount: max(2, Int(plot.width / 110)))
    let yScale = AxisScale(
      kind: yKind, covering: points.map(\.y), niceBounds: yKind == .linear,
      includeZero: yIncludesZero, targetTickCount: max(2, Int(plot.height / 55)))
    let project = { (point: ChartPoint) -> (Double, Double) in
      Self.position(point, in: plot, x: xScale, y: yScale)
    }
    out.append(axes(plot: plot, x: xScale, y: yScale))
    for series in drawn { out.append(draw(series, plotTop: plot.y, project)) }
    return out.joined(separator: "\n")
  }

  /// The SVG position of `point`. Not clamped: the scales cover every drawn point, and the
  /// tests check that the coordinates stay inside the plot area.
  static func position(_ point: ChartPoint, in plot: ChartFrame, x: AxisScale, y: AxisScale)
    -> (Double, Double)
  {
    let fx = x.fraction(point.x) ?? 0
    let fy = y.fraction(point.y) ?? 0
    return (plot.x + fx * plot.width, plot.y + plot.height - fy * plot.height)
  }

  /// Grid lines, tick labels and the two axis titles.
  private func axes(plot: ChartFrame, x: AxisScale, y: AxisScale) -> String {
    var out: [String] = []
    let bottom = plot.y + plot.height
    for (tick, label) in zip(x.ticks, x.labels) {
      guard let f = x.fraction(tick), f >= -1e-9, f <= 1 + 1e-9 else { continue }
      let px = plot.x + f * plot.width
      out.append(
        SVGElement.make("line", ["class": "grid", "x1": px, "y1": plot.y, "x2": px, "y2": bottom]))
      out.append(
        SVGElement.make(
          "text", ["class": "tick", "x": px, "y": bottom + 17, "text-anchor": "middle"], text: label
        ))
    }
    for (tick, label) in zip(y.ticks, y.labels) {
      guard let f = y.fraction(tick), f >= -1e-9, f <= 1 + 1e-9 else { continue }
      let py = bottom - f * plot.height
      out.append(
        SVGElement.make(
          "line", ["class": "grid", "x1": plot.x, "y1": py, "x2": plot.x + plot.width, "y2": py]))
      out.append(
        SVGElement.make(
          "text",
          ["class": "tick", "x": plot.x - 7, "y": py, "dy": "0.35em", "text-anchor": "end"],
          text: label))
    }
    out.append(
      SVGElement.make(
        "text",
        [
          "class": "axis-label", "x": plot.x + plot.width / 2, "y": bottom + 40,
          "text-anchor": "middle",
        ], text: xLabel))
    let labelX = plot.x - Self.margins.left + 16
    let labelY = plot.y + plot.height / 2
    let rotation =
      "rotate(-90 \(SVGElement.coordinate(labelX)) \(SVGElement.coordinate(labelY)))"
    out.append(
      SVGElement.make(
        "text",
        [
          "class": "axis-label", "x": labelX, "y": labelY, "text-anchor": "middle",
          "transform": rotation,
        ], text: yLabel + (y.kind == .logarithmic ? " (log scale)" : "")))
    return out.joined(separator: "\n")
  }

  /// One series: a path per segment, dots (markers, lone points), and its end marks.
  private func draw(
    _ series: ChartSeries, plotTop: Double, _ project: (ChartPoint) -> (Double, Double)
  ) -> String {
    var out: [String] = []
    let width = series.style == .markers ? 1.2 : 1.8
    let dash = series.style == .dashed ? "7 5" : "none"
    for segment in series.segments {
      if segment.count > 1 {
        let path = segment.enumerated().map { index, point in
          let (px, py) = project(point)
          let command = index == 0 ? "M" : "L"
          return "\(command)\(SVGElement.coordinate(px)) \(SVGElement.coordinate(py))"
        }.joined(separator: " ")
        out.append(
          SVGElement.make(
            "path",
            [
              "class": "series", "d": path, "fill": "none", "stroke": series.color,
              "stroke-width": width, "stroke-linejoin": "round", "stroke-dasharray": dash,
            ]))
      }
      if series.style == .markers || segment.count == 1 {
        for point in segment {
          let (px, py) = project(point)
          let title = point.note.map { SVGElement.make("title", [:], text: $0) } ?? ""
          out.append(
            SVGElement.make(
              "circle", ["cx": px, "cy": py, "r": 3.0, "fill": series.color], children: title))
        }
      }
    }
    guard let last = series.segments.last?.last else { return out.joined(separator: "\n") }
    let (px, py) = project(last)
    if series.marksEnd {
      out.append(SVGElement.make("circle", ["cx": px, "cy": py, "r": 4.0, "fill": series.color]))
    }
    if let label = series.endLabel {
      out.append(
        SVGElement.make(
          "circle",
          [
            "cx": px, "cy": py, "r": 4.5, "fill": "#fff", "stroke": series.color,
            "stroke-width": 2.0,
          ]
        ))
      // Up and to the left: a rising cumulative line approaches its end from below-left.
      out.append(
        SVGElement.make(
          "text",
          [
            "class": "end-label", "x": px - 9, "y": max(py - 10, plotTop + 14),
            "text-anchor": "end",
            "fill": series.color,
          ], text: label))
    }
    return out.joined(separator: "\n")
  }

  /// The legend, right-aligned on the title row: a swatch in the series' style and its name.
  private func legend(_ drawn: [ChartSeries], right: Double, baseline: Double) -> String {
    var out: [String] = []
    var x = right
    for series in drawn.reversed() {
      // About 7 units per character at the 12 px legend font: enough to keep entries apart.
      x -= Double(series.name.count) * 7
      out.append(
        SVGElement.make("text", ["class": "legend", "x": x, "y": baseline], text: series.name))
      let swatchEnd = x - 6
      let swatchY = baseline - 4
      out.append(
        SVGElement.make(
          "line",
          [
            "x1": swatchEnd - 22, "y1": swatchY, "x2": swatchEnd, "y2": swatchY,
            "stroke": series.color, "stroke-width": 2.5,
            "stroke-dasharray": series.style == .dashed ? "5 3" : "none",
          ]))
      if series.style == .markers {
        out.append(
          SVGElement.make(
            "circle",
            [
              "class": "swatch", "cx": swatchEnd - 11, "cy": swatchY, "r": 3.0,
              "fill": series.color,
            ]))
      }
      x = swatchEnd - 22 - 18
    }
    return out.joined(separator: "\n")
  }
}
