import Accounting
import Foundation
import Testing

/// Reproduces Patterson et al. 2021, "Carbon Emissions and Large Neural Network Training"
/// (arXiv:2104.10350), Table 4, from the table's own inputs: chips, training days, measured
/// average system power per accelerator, datacentre PUE and kg CO2e/kWh.
///
/// The paper prints energy to 3 significant figures (1,287 MWh to 4) and tCO2e to one decimal;
/// its inputs are rounded too (20 days, 3.1 days, 1.10). Each row is checked twice: within 1%,
/// and within the error its rounded inputs allow (half a unit of the last printed digit of each
/// input and output, summed as relative errors).
struct PattersonTable4Tests {
  struct Row {
    let name: String
    let hardware: String
    let chips: Int
    let days: Double
    let daysStep: Double  // the last printed digit of `days`
    let watts: Double
    let pue: Double
    let grossKgPerKWh: Double
    let netKgPerKWh: Double
    let measuredTFLOPS: Double
    // Published outputs.
    let mwh: Double
    let mwhStep: Double
    let grossT: Double
    let netT: Double
    let totalFlops: Double
  }

  // Table 4 columns: Evolved Transformer NAS, T5, Meena, GShard-600B, Switch Transformer, GPT-3.
  static let rows: [Row] = [
    Row(
      name: "Evolved Transformer NAS", hardware: "tpu-v2", chips: 200, days: 6.8, daysStep: 0.1, watts: 208,
      pue: 1.10,
      grossKgPerKWh: 0.431, netKgPerKWh: 0.431, measuredTFLOPS: 24.8, mwh: 7.5, mwhStep: 0.1, grossT: 3.2,
      netT: 3.2, totalFlops: 2.91e21),
    Row(
      name: "T5", hardware: "tpu-v3", chips: 512, days: 20, daysStep: 1, watts: 310, pue: 1.12,
      grossKgPerKWh: 0.545, netKgPerKWh: 0.545, measuredTFLOPS: 45.6, mwh: 85.7, mwhStep: 0.1, grossT: 46.7,
      netT: 46.7, totalFlops: 4.05e22),
    Row(
      name: "Meena", hardware: "tpu-v3", chips: 1024, days: 30, daysStep: 1, watts: 289, pue: 1.09,
      grossKgPerKWh: 0.415, netKgPerKWh: 0.415, measuredTFLOPS: 42.3, mwh: 232, mwhStep: 1, grossT: 96.4,
      netT: 96.4, totalFlops: 1.12e23),
    Row(
      name: "GShard-600B", hardware: "tpu-v3", chips: 1024, days: 3.1, daysStep: 0.1, watts: 288, pue: 1.09,
      grossKgPerKWh: 0.201, netKgPerKWh: 0.177, measuredTFLOPS: 48.0, mwh: 24.1, mwhStep: 0.1, grossT: 4.8,
      netT: 4.3, totalFlops: 1.33e22),
    Row(
      name: "Switch Transformer", hardware: "tpu-v3", chips: 1024, days: 27, daysStep: 1, watts: 245,
      pue: 1.10,
      grossKgPerKWh: 0.403, netKgPerKWh: 0.330, measuredTFLOPS: 34.4, mwh: 179, mwhStep: 1, grossT: 72.2,
      netT: 59.1, totalFlops: 8.22e22),
    Row(
      name: "GPT-3", hardware: "v100", chips: 10_000, days: 14.8, daysStep: 0.1, watts: 330, pue: 1.10,
      grossKgPerKWh: 0.429, netKgPerKWh: 0.429, measuredTFLOPS: 24.6, mwh: 1287, mwhStep: 1, grossT: 552.1,
      netT: 552.1, totalFlops: 3.14e23),
  ]

  /// `swiftlet plan`'s energy model fed with a row's inputs (wall-clock hours given).
  static func plan(_ row: Row, kgPerKWh: Double) throws -> Accounting.Plan {
    try Planner.plan(
      PlanRequest(
        model: nil, parameters: 1, tokens: row.totalFlops / 6,
        hardware: try HardwareProfile.accelerator(named: row.hardware), devices: row.chips,
        hours: row.days * 24, powerWatts: row.watts, pue: row.pue,
        grid: try GridIntensity.resolve(gramsPerKWh: kgPerKWh * 1000, region: nil)))
  }

  /// Relative error the rounding of days, watts (integers), PUE (2 decimals) and the printed
  /// output allows.
  static func roundingSlack(_ row: Row, outputStep: Double, output: Double) -> Double {
    0.5 * row.daysStep / row.days + 0.5 / row.watts + 0.005 / row.pue + 0.5 * outputStep / output
  }

  @Test(arguments: rows.map(\.name))
  func energyMatchesTable4(name: String) throws {
    let row = Self.rows.first { $0.name == name }!
    let plan = try Self.plan(row, kgPerKWh: row.grossKgPerKWh)
    let mwh = plan.energyKWh / 1000
    let error = abs(mwh - row.mwh) / row.mwh
    print(String(format: "%@: %.2f MWh (published %.1f), %.2f%% off", row.name, mwh, row.mwh, error * 100))
    #expect(error < 0.01, "\(row.name): \(mwh) MWh vs \(row.mwh)")
    #expect(error <= Self.roundingSlack(row, outputStep: row.mwhStep, output: row.mwh))
  }

  @Test(arguments: rows.map(\.name))
  func grossAndNetCO2eMatchTable4(name: String) throws {
    let row = Self.rows.first { $0.name == name }!
    for (kgPerKWh, published) in [(row.grossKgPerKWh, row.grossT), (row.netKgPerKWh, row.netT)] {
      let tonnes = try Self.plan(row, kgPerKWh: kgPerKWh).co2eKg / 1000
      let error = abs(tonnes - published) / published
      print(
        String(
          format: "%@: %.2f tCO2e (published %.1f), %.2f%% off", row.name, tonnes, published, error * 100))
      // Intensities are printed to 3 decimals, tonnes to 1.
      let slack = Self.roundingSlack(row, outputStep: 0.1, output: published) + 0.0005 / kgPerKWh
      #expect(error <= slack, "\(row.name): \(tonnes) t vs \(published)")
    }
  }

  /// The Total Computation column is chips × time × measured TFLOPS; run backwards, the
  /// planner's time = FLOPs / (devices × peak × MFU) with MFU = measured / peak gives the days.
  @Test(arguments: rows.map(\.name))
  func trainingDaysFollowFromFlopsAndMeasuredThroughput(name: String) throws {
    let row = Self.rows.first { $0.name == name }!
    let hardware = try HardwareProfile.accelerator(named: row.hardware)
    let plan = try Planner.plan(
      PlanRequest(
        model: nil, parameters: 1, tokens: row.totalFlops / 6, hardware: hardware, devices: row.chips,
        mfu: row.measuredTFLOPS * 1e12 / hardware.peakFlops, powerWatts: row.watts, pue: row.pue,
        grid: try GridIntensity.named("world")))
    let days = plan.wallHours / 24
    // FLOPs are printed to 3 significant figures, TFLOPS to 3.
    let mantissa = row.totalFlops / pow(10, floor(log10(row.totalFlops)))
    let slack = 0.005 / mantissa + 0.05 / row.measuredTFLOPS + 0.5 * row.daysStep / row.days
    #expect(abs(days - row.days) / row.days <= slack, "\(row.name): \(days) days vs \(row.days)")
  }

  @Test func gpt3RowIsAbout1287MWhAnd552Tonnes() throws {
    let row = Self.rows.last!
    let plan = try Self.plan(row, kgPerKWh: 0.429)
    #expect(abs(plan.energyKWh / 1e3 - 1287) < 5)
    #expect(abs(plan.co2eKg / 1e3 - 552) < 2)
    #expect(abs(plan.deviceHours - 10_000 * 14.8 * 24) < 1e-6)
  }
}
