import RunFiles

extension CarbonEquivalents {
  /// One line, choosing the units that give readable numbers.
  public var sentence: String {
    var parts = ["\(Format.number(carKm)) km by car"]
    if passengerRoundTripsNYSF >= 0.01 {
      parts.append("\(Format.number(passengerRoundTripsNYSF)) passenger round trips New York–San Francisco")
    }
    if carLifetimes >= 0.01 { parts.append("\(Format.number(carLifetimes)) car lifetimes") }
    return parts.joined(separator: ", ")
  }
}
