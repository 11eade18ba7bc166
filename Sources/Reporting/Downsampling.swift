/// Thins a long series for drawing while keeping its shape.
///
/// Min/max decimation: the points between the two ends are cut into equal runs by index and
/// each run keeps its lowest and its highest point, in their original order. Spikes and the
/// global extremes survive (every extreme is the extreme of its run), the ends are kept
/// exactly, and an 800-point path over a 1,000-pixel plot still shows the noise band of a
/// 100,000-step loss curve.
enum Downsampling {
  /// Points to draw per series by default: more than one per two pixels of our plots.
  static let defaultMaximum = 800

  /// `points` unchanged if there are at most `maximum` (at least 4), else at most `maximum` of
  /// them: the first, the last, and each run's minimum and maximum y.
  static func minMax(_ points: [ChartPoint], maximum: Int) -> [ChartPoint] {
    let limit = max(4, maximum)
    guard points.count > limit else { return points }
    let interior = points.count - 2
    let runs = (limit - 2) / 2
    var result: [ChartPoint] = [points[0]]
    result.reserveCapacity(limit)
    for run in 0..<runs {
      // Run `run` covers interior indices [start, end) (offset by 1 for the first point).
      let start = 1 + run * interior / runs
      let end = 1 + (run + 1) * interior / runs
      guard start < end else { continue }
      var lowest = start
      var highest = start
      for index in start..<end {
        if points[index].y < points[lowest].y { lowest = index }
        if points[index].y > points[highest].y { highest = index }
      }
      if lowest == highest {
        result.append(points[lowest])
      } else {
        result.append(points[min(lowest, highest)])
        result.append(points[max(lowest, highest)])
      }
    }
    result.append(points[points.count - 1])
    return result
  }
}
