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
  struct Row: Sendable, CustomTestStringConvertible {
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

    var testDescription: String { name }
  }

  /// Table 4 as printed, one model a line: name | Swiftlet hardware | chips | training days | average
  /// system W per chip | PUE | gross kg CO2e/kWh | net kg CO2e/kWh | measured TFLOPS per chip | MWh |
  /// gross tCO2e | net tCO2e | total FLOPs.
  static let table = """
    Evolved Transformer NAS | tpu-v2 |   200 |  6.8 | 208 | 1.10 | 0.431 | 0.431 | 24.8 |  7.5 |   3.2 |   3.2 | 2.91e21
    T5                      | tpu-v3 |   512 |   20 | 310 | 1.12 | 0.545 | 0.545 | 45.6 | 85.7 |  46.7 |  46.7 | 4.05e22
    Meena                   | tpu-v3 |  1024 |   30 | 289 | 1.09 | 0.415 | 0.415 | 42.3 |  232 |  96.4 |  96.4 | 1.12e23
    GShard-600B             | tpu-v3 |  1024 |  3.1 | 288 | 1.09 | 0.201 | 0.177 | 48.0 | 24.1 |   4.8 |   4.3 | 1.33e22
    Switch Transformer      | tpu-v3 |  1024 |   27 | 245 | 1.10 | 0.403 | 0.330 | 34.4 |  179 |  72.2 |  59.1 | 8.22e22
    GPT-3                   | v100   | 10000 | 14.8 | 330 | 1.10 | 0.429 | 0.429 | 24.6 | 1287 | 552.1 | 552.1 | 3.14e23
    """

  static let rows: [Row] = table.split(separator: "\n").map { line in
    let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
    let number = cells.map { Double($0) ?? .nan }
    return Row(
      name: cells[0], hardware: cells[1], chips: Int(cells[2])!, days: number[3], daysStep: lastDigit(cells[3]),
      watts: number[4], pue: number[5], grossKgPerKWh: number[6], netKgPerKWh: number[7],
      measuredTFLOPS: number[8], mwh: number[9], mwhStep: lastDigit(cells[9]), grossT: number[10], netT: number[11],
      totalFlops: number[12])
  }

  /// The unit of the last printed digit of `printed`: 1 for "20", 0.1 for "6.8".
  static func lastDigit(_ printed: String) -> Double {
    guard let point = printed.firstIndex(of: ".") else { return 1 }
    return pow(10, -Double(printed[point...].count - 1))
  }

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

  @Test(arguments: rows)
  func energyMatchesTable4(row: Row) throws {
    let plan = try Self.plan(row, kgPerKWh: row.grossKgPerKWh)
    let mwh = plan.energyKWh / 1000
    let error = abs(mwh - row.mwh) / row.mwh
    print(String(format: "%@: %.2f MWh (published %.1f), %.2f%% off", row.name, mwh, row.mwh, error * 100))
    #expect(error < 0.01, "\(row.name): \(mwh) MWh vs \(row.mwh)")
    #expect(error <= Self.roundingSlack(row, outputStep: row.mwhStep, output: row.mwh))
  }

  @Test(arguments: rows)
  func grossAndNetCO2eMatchTable4(row: Row) throws {
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
  @Test(arguments: rows)
  func trainingDaysFollowFromFlopsAndMeasuredThroughput(row: Row) throws {
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
