import Foundation
import Testing

@testable import Reporting

@Suite struct LineChartTests {
  static let frame = ChartFrame(x: 40, y: 10, width: 600, height: 300)

  /// Every (x, y) pair in the `d` attributes of `<path>` elements and in `<circle>` centres.
  static func coordinates(in svg: String) -> [(Double, Double)] {
    var result: [(Double, Double)] = []
    for match in svg.matches(of: #/<path[^>]* d="([^"]*)"/#) {
      let numbers = match.1.split(whereSeparator: { "ML ".contains($0) }).compactMap { Double($0) }
      #expect(numbers.count % 2 == 0)
      for index in stride(from: 0, to: numbers.count - 1, by: 2) {
        result.append((numbers[index], numbers[index + 1]))
      }
    }
    for match in svg.matches(of: #/<circle cx="([-0-9.]+)" cy="([-0-9.]+)"/#) {
      result.append((Double(match.1)!, Double(match.2)!))
    }
    return result
  }

  private func chart(yKind: AxisScale.Kind, includeZero: Bool = false) -> LineChart {
    let noisy = (1...5000).map { index -> (x: Double?, y: Double?) in
      let x = Double(index) * 1000
      return (x, index == 2500 ? nil : 8 * exp(-Double(index) / 900) + 3 + 0.2 * sin(Double(index)))
    }
    let train = ChartSeries(name: "train", color: "#123456", segments: ChartSeries.segments(noisy))
    let evals = ChartSeries(
      name: "val", color: "#654321",
      segments: [
        stride(from: 500, through: 5000, by: 500).map {
          ChartPoint(x: Double($0) * 1000, y: 4, note: "n")
        }
      ],
      style: .markers)
    let projection = ChartSeries(
      name: "projection", color: "#777",
      segments: [[ChartPoint(x: 5e6, y: 3), ChartPoint(x: 9e6, y: 0.5)]],
      style: .dashed, endLabel: "0.5 at 9M")
    return LineChart(
      title: "Loss", xLabel: "tokens", yLabel: "loss", series: [train, evals, projection],
      yKind: yKind,
      yIncludesZero: includeZero)
  }

  @Test(arguments: [AxisScale.Kind.linear, .logarithmic])
  func pathAndMarkerCoordinatesStayInsideThePlotArea(kind: AxisScale.Kind) {
    let svg = chart(yKind: kind).svg(in: Self.frame)
    let plot = LineChart.plotArea(in: Self.frame)
    let points = Self.coordinates(in: svg)
    #expect(points.count > 100)
    for (x, y) in points {
      #expect(x >= plot.x - 0.05 && x <= plot.x + plot.width + 0.05, "x \(x) outside the plot")
      #expect(y >= plot.y - 0.05 && y <= plot.y + plot.height + 0.05, "y \(y) outside the plot")
    }
    // The extremes reach the plot's edges: the data span the x axis end to end.
    #expect(abs(points.map(\.0).min()! - plot.x) < 0.1)
    #expect(abs(points.map(\.0).max()! - (plot.x + plot.width)) < 0.1)
  }

  @Test func longSeriesAreDrawnWithAtMostTheMaximumPoints() {
    let svg = chart(yKind: .linear).svg(in: Self.frame)
    // The train series is the first path(s): a gap at index 2500 splits it in two.
    let trainPaths = svg.matches(of: #/<path[^>]* d="([^"]*)" fill="none" stroke="\#123456"/#)
    #expect(trainPaths.count == 2)
    let drawn = trainPaths.map {
      $0.1.split(separator: " ").filter { $0.first == "M" || $0.first == "L" }.count
    }
    #expect(drawn.reduce(0, +) <= Downsampling.defaultMaximum)
    #expect(drawn.allSatisfy { $0 > 100 })
  }

  @Test func markersCarryTheirNotesAndTheEndLabelIsWritten() {
    let svg = chart(yKind: .linear).svg(in: Self.frame)
    #expect(svg.components(separatedBy: "<title>n</title>").count - 1 == 10)
    #expect(svg.contains(">0.5 at 9M</text>"))
    #expect(svg.contains("stroke-dasharray=\"7 5\""))
  }

  @Test func logScaleDropsPointsItCannotShowAndSaysSo() {
    let series = ChartSeries(
      name: "s", color: "#000",
      segments: [[ChartPoint(x: 0, y: 0), ChartPoint(x: 1, y: 10), ChartPoint(x: 2, y: 100)]])
    let chart = LineChart(
      title: "t", xLabel: "x", yLabel: "y", series: [series], yKind: .logarithmic)
    #expect(chart.drawableSeries()[0].points.count == 2)
    #expect(chart.svg(in: Self.frame).contains("y (log scale)"))
  }

  @Test func anEmptyChartShowsItsMessageInsteadOfAxes() {
    let chart = LineChart(
      title: "Energy", xLabel: "tokens", yLabel: "kWh",
      series: [ChartSeries(name: "so far", color: "#000", segments: [])],
      emptyMessage: "no kWh <yet>")
    let svg = chart.svg(in: Self.frame)
    #expect(svg.contains("no kWh &lt;yet&gt;"))
    #expect(!svg.contains("class=\"tick\""))
  }
}
