import Foundation
import SwiftletCore
import Testing

@testable import Accounting

struct ComputeLedgerTests {
  static let grid = GridIntensity(gramsPerKWh: 500, region: "test", source: "test")

  static func ledger(steps: Int) -> ComputeLedger {
    var ledger = ComputeLedger()
    for _ in 0..<steps {
      ledger.addStep(
        modelFlops: 1e12, hardwareFlops: 1.1e12, tokens: 4096, energyKWh: 0.002, gridIntensity: grid,
        wallSeconds: 2, ranks: 4)
    }
    return ledger
  }

  @Test func stepsAccumulateEveryField() {
    let ledger = Self.ledger(steps: 3)
    #expect(ledger.steps == 3)
    #expect(ledger.flops == 3e12)
    #expect(abs(ledger.hardwareFlops - 3.3e12) < 1)
    #expect(ledger.tokens == 3 * 4096)
    #expect(abs(ledger.energyKWh - 0.006) < 1e-15)
    #expect(abs(ledger.co2eKg - 0.006 * 0.5) < 1e-15)
    #expect(ledger.wallSeconds == 6)
    #expect(ledger.rankSeconds == 24)
    #expect(ledger.lostSteps == 0)
  }

  @Test func attributesRoundTripForTheCheckpoint() throws {
    var ledger = Self.ledger(steps: 5)
    ledger.addLostWork(
      .init(steps: 2, tokens: 8192, flops: 2e12, energyKWh: 0.004, co2eKg: 0.002, wallSeconds: 4), ranks: 4)
    let attributes = ledger.attributes
    #expect(attributes["energy_kwh"] == ledger.energyKWh)
    #expect(attributes["lost_steps"] == 2)
    #expect(try ComputeLedger(attributes: attributes) == ledger)
    // Codable (report.json, broadcast) uses the same names.
    let json = try JSONEncoder().encode(ledger)
    let object = try JSONSerialization.jsonObject(with: json) as! [String: Double]
    #expect(Set(object.keys) == Set(attributes.keys))
    #expect(try JSONDecoder().decode(ComputeLedger.self, from: json) == ledger)
  }

  @Test func missingAttributesAreZeroAndBadOnesAreErrors() throws {
    let partial = try ComputeLedger(attributes: ["flops": 5, "steps": 2, "some_future_key": 1])
    #expect(partial.flops == 5 && partial.steps == 2 && partial.energyKWh == 0)
    #expect(throws: SwiftletError.self) { try ComputeLedger(attributes: ["steps": 1.5]) }
    #expect(throws: SwiftletError.self) { try ComputeLedger(attributes: ["energy_kwh": -1]) }
    #expect(throws: SwiftletError.self) { try ComputeLedger(attributes: ["flops": .nan]) }
  }

  /// A run checkpoints at step 5, logs steps 6–8, crashes, resumes from step 5 and redoes 6–8:
  /// the redone work is spent twice and shows as lost.
  @Test func lostWorkIsCountedInTotalsAndOnItsOwnLine() {
    let atCheckpoint = Self.ledger(steps: 5)
    let logged = Self.ledger(steps: 8)  // what metrics.jsonl said at step 8
    let lost = ComputeLedger.LostWork.since(
      checkpoint: atCheckpoint, checkpointStep: 5, loggedStep: 8, loggedTokens: logged.tokens,
      loggedFlops: logged.flops, loggedEnergyKWh: logged.energyKWh, loggedCO2eKg: logged.co2eKg,
      loggedWallSecondsAfterCheckpoint: 6)
    #expect(lost.steps == 3 && lost.flops == 3e12 && lost.tokens == 3 * 4096)
    var resumed = atCheckpoint
    resumed.addLostWork(lost, ranks: 4)
    for _ in 0..<3 {
      resumed.addStep(
        modelFlops: 1e12, hardwareFlops: 1.1e12, tokens: 4096, energyKWh: 0.002, gridIntensity: Self.grid,
        wallSeconds: 2, ranks: 4)
    }
    #expect(resumed.steps == 11)
    #expect(resumed.lostSteps == 3)
    #expect(resumed.flops == 11e12)
    #expect(abs(resumed.energyKWh - 0.022) < 1e-12)
    #expect(abs(resumed.lostEnergyKWh - 0.006) < 1e-12)
    #expect(abs(resumed.hardwareFlops - 11 * 1.1e12) < 1)
    #expect(resumed.wallSeconds == 5 * 2 + 6 + 3 * 2)
    #expect(resumed.rankSeconds == 4 * resumed.wallSeconds)
    // Nothing logged after the checkpoint: nothing lost.
    let none = ComputeLedger.LostWork.since(
      checkpoint: atCheckpoint, checkpointStep: 5, loggedStep: 5, loggedTokens: atCheckpoint.tokens,
      loggedFlops: atCheckpoint.flops, loggedEnergyKWh: atCheckpoint.energyKWh,
      loggedCO2eKg: atCheckpoint.co2eKg,
      loggedWallSecondsAfterCheckpoint: 0)
    #expect(none == .init(steps: 0, tokens: 0, flops: 0, energyKWh: 0, co2eKg: 0, wallSeconds: 0))
  }
}
