import SwiftletCore

/// Carbon intensity of the electricity a run uses, in gCO2e per kWh, with where it comes from.
public struct GridIntensity: Equatable, Codable, Sendable {
  public var gramsPerKWh: Double
  /// The region key, or "custom" for a value given directly.
  public var region: String
  public var source: String

  /// The stand-in for a run charged from the intensity series at `path`: each step carries the
  /// series' value, none is fixed.
  public static func series(at path: String) -> GridIntensity {
    GridIntensity(gramsPerKWh: 0, region: "intensity-series", source: path)
  }

  /// kg CO2e of `kWh`.
  public func co2eKg(kWh: Double) -> Double { kWh * gramsPerKWh / 1000 }

  /// A value given by the user (`--grid-intensity`, `accounting.grid_intensity`), or the
  /// `region`'s average (the world's when neither is given). Either alone is valid; giving both
  /// is a contradiction. A value of 0 and an empty region mean "not given" (the config defaults).
  public static func resolve(gramsPerKWh: Double?, region: String?) throws -> GridIntensity {
    if let value = gramsPerKWh, value != 0 {
      guard value.isFinite, value > 0 else {
        throw SwiftletError("grid intensity must be a positive number of gCO2e/kWh, got \(value)")
      }
      if let region, !region.isEmpty {
        throw SwiftletError(
          "give either a grid intensity (\(value) g/kWh) or a region ('\(region)'), not both")
      }
      return GridIntensity(gramsPerKWh: value, region: "custom", source: "given by the user")
    }
    return try named(region.flatMap { $0.isEmpty ? nil : $0 } ?? "world")
  }

  /// The table entry called `name` (case-insensitive), or an error listing the known regions.
  public static func named(_ name: String) throws -> GridIntensity {
    let key = name.lowercased()
    if let entry = regions.first(where: { $0.region == key }) { return entry }
    throw SwiftletError(
      "unknown region '\(name)'; known regions: \(regions.map(\.region).joined(separator: ", "))")
  }

  static let owid2021 =
    "Our World in Data / Ember, carbon intensity of electricity, 2021 (as compiled in codecarbon's global_energy_mix.json)"
  static let gcp2024 =
    "Google Cloud region carbon data, grid carbon intensity 2024 (GoogleCloudPlatform/region-carbon-info, data/yearly/2024.csv)"

  /// Average grid intensities: the world, major countries (ISO 3166 alpha-2 codes) and cloud
  /// regions, plus the figures of the published studies Swiftlet reproduces.
  public static let regions: [GridIntensity] = {
    func country(_ code: String, _ name: String, _ value: Double) -> GridIntensity {
      GridIntensity(gramsPerKWh: value, region: code, source: "\(name): \(owid2021)")
    }
    func gcp(_ region: String, _ place: String, _ value: Double) -> GridIntensity {
      GridIntensity(
        gramsPerKWh: value, region: "gcp-" + region, source: "Google Cloud \(region) (\(place)): \(gcp2024)")
    }
    return [
      GridIntensity(
        gramsPerKWh: 475, region: "world",
        source:
          "world average, IEA Global Energy & CO2 Status Report 2019 (year 2018), the fallback of codecarbon's methodology"
      ),
      country("us", "United States", 379.26), country("cn", "China", 544.355),
      country("in", "India", 637.182), country("jp", "Japan", 478.545),
      country("kr", "South Korea", 458.081), country("tw", "Taiwan", 573.275),
      country("au", "Australia", 531.247), country("de", "Germany", 365.477),
      country("gb", "United Kingdom", 268.329), country("ie", "Ireland", 363.608),
      country("it", "Italy", 340.794), country("es", "Spain", 193.863),
      country("dk", "Denmark", 221.416), country("fi", "Finland", 145.541),
      country("be", "Belgium", 156.922), country("ca", "Canada", 128.461),
      country("br", "Brazil", 158.592), country("fr", "France", 67.39),
      country("ch", "Switzerland", 47.101), country("se", "Sweden", 45.817),
      gcp("us-central1", "Iowa", 412.72), gcp("us-east1", "South Carolina", 575.77),
      gcp("us-east4", "Northern Virginia", 323.05), gcp("us-west1", "Oregon", 79.23),
      gcp("europe-west1", "Belgium", 103.37), gcp("europe-west4", "Eemshaven", 208.81),
      gcp("europe-north1", "Finland", 39.32), gcp("europe-west9", "Paris", 16.30),
      gcp("asia-east1", "Taiwan", 439.29), gcp("asia-northeast1", "Tokyo", 452.85),
      gcp("northamerica-northeast1", "Montréal", 5.48),
      GridIntensity(
        gramsPerKWh: 0.954 * 453.59237, region: "us-epa-2018",
        source: "United States, EPA eGRID as used by Strubell et al. 2019: 0.954 lb CO2e/kWh"),
      GridIntensity(
        gramsPerKWh: 429, region: "us-azure-2020",
        source: "Microsoft datacentre running GPT-3, Patterson et al. 2021, Table 4: 0.429 kg/kWh"),
    ]
  }()
}
