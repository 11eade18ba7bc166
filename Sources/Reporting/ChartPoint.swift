/// One data point of a chart series, in data units.
struct ChartPoint: Equatable {
  var x: Double
  var y: Double
  /// Tooltip text for a marker (`<title>`), if the series draws markers.
  var note: String? = nil
}
