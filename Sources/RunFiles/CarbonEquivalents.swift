/// CO2e in terms people picture (the `equivalents` object of `report.json` and `plan --json`).
/// Accounting computes them from kilograms, with the sources of each factor.
public struct CarbonEquivalents: Equatable, Codable, Sendable {
  public var carKm: Double
  public var passengerRoundTripsNYSF: Double
  public var planeRoundTripsSFNY: Double
  public var carLifetimes: Double

  /// Equivalents with these figures (Accounting's `init(co2eKg:)` computes them).
  public init(carKm: Double, passengerRoundTripsNYSF: Double, planeRoundTripsSFNY: Double, carLifetimes: Double) {
    self.carKm = carKm
    self.passengerRoundTripsNYSF = passengerRoundTripsNYSF
    self.planeRoundTripsSFNY = planeRoundTripsSFNY
    self.carLifetimes = carLifetimes
  }

  enum CodingKeys: String, CodingKey {
    case carKm = "car_km"
    case passengerRoundTripsNYSF = "passenger_round_trips_ny_sf"
    case planeRoundTripsSFNY = "plane_round_trips_sf_ny"
    case carLifetimes = "car_lifetimes"
  }
}
