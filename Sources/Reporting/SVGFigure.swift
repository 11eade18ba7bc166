/// An inline `<svg>` holding one chart, or several side by side (one figure of the page).
struct SVGFigure {
  var width: Double
  var height: Double
  /// Read by screen readers (`aria-label`) and shown as the figure's tooltip (`<title>`).
  var label: String
  var charts: [LineChart]
  /// Horizontal space between side-by-side charts.
  var gap = 16.0

  /// The frame of chart `index`: the width split evenly between the charts.
  func frame(ofChart index: Int) -> ChartFrame {
    let count = Double(max(1, charts.count))
    let chartWidth = (width - gap * (count - 1)) / count
    return ChartFrame(
      x: Double(index) * (chartWidth + gap), y: 0, width: chartWidth, height: height)
  }

  /// The `<svg>` element. It scales to the page width through its `viewBox`.
  func render() -> String {
    let label = HTMLEscaping.escape(self.label)
    var out = [
      "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" "
        + "role=\"img\" aria-label=\"\(label)\"><title>\(label)</title>"
    ]
    for (index, chart) in charts.enumerated() {
      out.append(chart.svg(in: frame(ofChart: index)))
    }
    out.append("</svg>")
    return out.joined(separator: "\n")
  }
}
