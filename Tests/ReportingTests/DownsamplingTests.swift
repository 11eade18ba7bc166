import Foundation
import TestSupport
import Testing

@testable import Reporting

@Suite struct DownsamplingTests {
  /// A noisy falling curve with one spike up and one down in the middle.
  private func curve(count: Int) -> [ChartPoint] {
    var generator = SeededRandom(seed: 3)
    return (0..<count).map { index in
      var y = 10 * exp(-Double(index) / 2000) + Double.random(in: -0.3...0.3, using: &generator)
      if index == 4321 { y = 50 }
      if index == 7777 { y = -20 }
      return ChartPoint(x: Double(index), y: y)
    }
  }

  @Test func longSeriesKeepEndpointsAndExtremesWithinTheBudget() {
    let points = curve(count: 20_000)
    let thinned = Downsampling.minMax(points, maximum: 800)
    #expect(thinned.count <= 800)
    #expect(thinned.count >= 700)
    #expect(thinned.first == points.first)
    #expect(thinned.last == points.last)
    #expect(thinned.contains(points[4321]))
    #expect(thinned.contains(points[7777]))
    #expect(thinned.map(\.y).max() == points.map(\.y).max())
    #expect(thinned.map(\.y).min() == points.map(\.y).min())
    // Order is preserved and every point is an original one.
    #expect(zip(thinned, thinned.dropFirst()).allSatisfy { $0.x < $1.x })
    #expect(thinned.allSatisfy { points[Int($0.x)] == $0 })
  }

  @Test func everyRunKeepsItsOwnExtremes() {
    // A sawtooth whose every tooth is its own run: each tooth's peak must survive.
    let points = (0..<1000).map { ChartPoint(x: Double($0), y: Double($0 % 10)) }
    let thinned = Downsampling.minMax(points, maximum: 202)
    #expect(thinned.filter { $0.y == 9 }.count >= 95)
    #expect(thinned.filter { $0.y == 0 }.count >= 95)
  }

  @Test func shortSeriesAreUnchanged() {
    let points = curve(count: 500)
    #expect(Downsampling.minMax(points, maximum: 800) == points)
    #expect(Downsampling.minMax([], maximum: 800).isEmpty)
  }
}
