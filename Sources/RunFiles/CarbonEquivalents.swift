/// CO2e in terms people picture (the `equivalents` object of `report.json` and `plan --json`),
/// as Strubell et al. 2019 (Table 1) and Patterson et al. 2021 (Table 4) put it. Sources in
/// docs/accounting.md.
public struct CarbonEquivalents: Equatable, Codable, Sendable {
  public var carKm: Double
  public var passengerRoundTripsNYSF: Double
  public var planeRoundTripsSFNY: Double
  public var carLifetimes: Double

  /// kg per pound (exact, international avoirdupois pound).
  public static let kgPerPound = 0.45359237
  /// A typical passenger car: about 400 g CO2 per mile (US EPA, "Greenhouse Gas Emissions from a
  /// Typical Passenger Vehicle", EPA-420-F-23-014, 2023), i.e. 0.2485 kg per km.
  public static let carKgPerKm = 0.400 / 1.609344
  /// One passenger, New York ↔ San Francisco round trip: 1,984 lbs (Strubell et al. 2019, Table 1).
  public static let passengerRoundTripKg = 1984 * kgPerPound
  /// A whole jet plane, San Francisco ↔ New York round trip: ~180 t (Patterson et al. 2021, Table 4).
  public static let planeRoundTripKg = 180_000.0
  /// An average car over its lifetime including fuel: 126,000 lbs (Strubell et al. 2019, Table 1).
  public static let carLifetimeKg = 126_000 * kgPerPound

  /// The equivalents of `co2eKg` kilograms.
  public init(co2eKg: Double) {
    carKm = co2eKg / Self.carKgPerKm
    passengerRoundTripsNYSF = co2eKg / Self.passengerRoundTripKg
    planeRoundTripsSFNY = co2eKg / Self.planeRoundTripKg
    carLifetimes = co2eKg / Self.carLifetimeKg
  }

  enum CodingKeys: String, CodingKey {
    case carKm = "car_km"
    case passengerRoundTripsNYSF = "passenger_round_trips_ny_sf"
    case planeRoundTripsSFNY = "plane_round_trips_sf_ny"
    case carLifetimes = "car_lifetimes"
  }
}
