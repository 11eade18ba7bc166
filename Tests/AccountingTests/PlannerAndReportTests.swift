import Foundation
import GPT
import RunFiles
import SwiftletCore
import Testing

@testable import Accounting

struct PlannerAndReportTests {
  static let world = try! GridIntensity.named("world")

  @Test func timeComesFromModelFlopsOverDevicesPeakAndMFU() throws {
    let config = try GPTConfig.preset(named: "gpt3-6.7B")
    let a100 = try HardwareProfile.accelerator(named: "a100-80gb")
    let plan = try Planner.plan(
      PlanRequest(
        model: config, tokens: 300e9, hardware: a100, devices: 256, mfu: 0.5, pue: 1.1, grid: Self.world,
        pricePerDeviceHour: 2))
    let modelFlops = ModelFlops.perToken(config, seqLen: 2048) * 300e9
    #expect(plan.modelFlops == modelFlops)
    #expect(plan.flops == 6 * Double(config.parameterCount) * 300e9)
    #expect(abs(plan.wallHours * 3600 - modelFlops / (256 * 312e12 * 0.5)) < 1e-6)
    #expect(abs(plan.deviceHours - plan.wallHours * 256) < 1e-9)
    #expect(abs(plan.energyKWh - plan.deviceHours * 400 * 1.1 / 1000) < 1e-6)
    #expect(abs(plan.co2eKg - plan.energyKWh * 0.475) < 1e-9)
    #expect(abs(plan.costUSD! - 2 * plan.deviceHours) < 1e-9)
    #expect(plan.dataParallel == 256 && plan.tensorParallel == 1)
  }

  @Test func givenHoursImplyTheMFU() throws {
    let v100 = try HardwareProfile.accelerator(named: "v100")
    let plan = try Planner.plan(
      PlanRequest(
        model: nil, parameters: 175e9, tokens: 300e9, hardware: v100, devices: 10_000, hours: 14.8 * 24,
        grid: Self.world))
    #expect(abs(plan.mfu - 3.15e23 / (10_000 * 125e12 * 14.8 * 86400)) < 1e-12)
    #expect(plan.notes.contains { $0.contains("shape unknown") })
  }

  /// BRIEF: on a 24 GiB machine AdamW fits GPT-2 774M at most; GPT-2 XL 1.5B needs Adafactor.
  @Test func memoryEstimateAgreesWithTheBriefsLimits() throws {
    let gib = 1_073_741_824.0
    func total(_ preset: String, _ optimizer: MemoryEstimate.Optimizer) throws -> Double {
      try MemoryEstimate(
        config: GPTConfig.preset(named: preset), microBatch: 1, seqLen: 1024, optimizer: optimizer
      ).total
    }
    #expect(try total("gpt2-774M", .adamw) < 24 * gib)
    #expect(try total("gpt2-1558M", .adamw) > 24 * gib)
    #expect(try total("gpt2-1558M", .adafactor) < 24 * gib)
    // Tensor parallelism divides the matrices; ZeRO-1 divides the optimizer state.
    let config = try GPTConfig.preset(named: "gpt3-6.7B")
    let one = try MemoryEstimate(config: config, microBatch: 1, seqLen: 2048)
    let four = try MemoryEstimate(config: config, tensorParallel: 4, microBatch: 1, seqLen: 2048)
    #expect(four.parameters < one.parameters / 3.9 && four.parameters > one.parameters / 4.1)
    let zero = try MemoryEstimate(
      config: config, dataParallel: 8, microBatch: 1, seqLen: 2048, zeroStage1: true)
    #expect(zero.optimizer == one.optimizer / 8)
    #expect(throws: SwiftletError.self) {
      try MemoryEstimate(config: config, tensorParallel: 5, microBatch: 1, seqLen: 2048)
    }
  }

  /// Recomputation keeps B·T·C floats per layer instead of about 12·C: GPT-2 124M at B = 4,
  /// T = 1024 stores 12 layers × 12 MiB of block inputs plus one full layer set and the head.
  @Test func recomputationKeepsOnlyTheBlockInputs() throws {
    let config = try GPTConfig.preset(named: "gpt2-124M")
    let stored = try MemoryEstimate(config: config, microBatch: 4, seqLen: 1024)
    let recomputed = try MemoryEstimate(config: config, microBatch: 4, seqLen: 1024, recompute: true)
    let (n, c) = (4.0 * 1024, Double(config.dModel))
    let restOfLayer = n * (3 * c + 4 * c + 4 * c + 4) + 4 * Double(config.nHead) * 1024
    #expect(stored.activations - recomputed.activations == 11 * restOfLayer * 4)
    #expect(stored.parameters == recomputed.parameters && stored.workspace == recomputed.workspace)
    print(
      "gpt2-124M B=4 T=1024 activations: \(stored.activations / 1_073_741_824) GiB stored, "
        + "\(recomputed.activations / 1_073_741_824) GiB recomputing")
  }

  @Test func badRequestsAreOneLineErrors() throws {
    let v100 = try HardwareProfile.accelerator(named: "v100")
    let config = try GPTConfig.preset(named: "gpt2-124M")
    func plan(_ change: (inout PlanRequest) -> Void) throws {
      var request = PlanRequest(model: config, tokens: 1e9, hardware: v100, grid: Self.world)
      change(&request)
      _ = try Planner.plan(request)
    }
    try plan { _ in }
    for change: (inout PlanRequest) -> Void in [
      { $0.tokens = 0 }, { $0.tokens = -1 }, { $0.devices = 0 }, { $0.mfu = 0 }, { $0.mfu = 1.2 },
      { $0.pue = 0.9 }, { $0.hours = 0 }, { $0.powerWatts = -5 }, { $0.seqLen = 2048 },
      {
        $0.devices = 3
        $0.tensorParallel = 2
      }, { $0.microBatch = 0 }, { $0.parameters = 0 },
    ] {
      #expect(throws: SwiftletError.self) { try plan(change) }
    }
  }

  static func run() throws -> RunDescription {
    RunDescription(
      modelName: "gpt2-124M", model: try GPTConfig.preset(named: "gpt2-124M"), seqLen: 1024,
      tokensPerStep: 8 * 1024, maxSteps: 100, devices: 2, microBatch: 4,
      hardware: HardwareProfile.thisMachine(
        perCorePeak: 88e9, cpu: CPUInfo(modelName: "test", vendor: "x", family: 0, cores: 2, memoryBytes: 0),
        coresPerDevice: 1),
      grid: Self.world, pue: 1.2, pricePerDeviceHour: 0.5, energyMethod: .cpuTimeEstimate)
  }

  /// Half of a 100-step run done: the projection doubles time, energy and CO2e.
  @Test func reportCarriesContractFieldsAndProjectsTheFullRun() throws {
    let run = try Self.run()
    var ledger = ComputeLedger()
    let perStep = ModelFlops.perStep(run.model, tokensPerStep: run.tokensPerStep, seqLen: run.seqLen)
    for _ in 0..<50 {
      ledger.addStep(
        modelFlops: perStep, hardwareFlops: 1.05 * perStep, tokens: run.tokensPerStep, energyKWh: 1e-4,
        gridIntensity: run.grid, wallSeconds: 30, ranks: 2)
    }
    let report = RunReport(ledger: ledger, run: run)
    #expect(report.steps == 50)
    #expect(abs(report.mfu - perStep / 30 / (2 * 88e9)) < 1e-12)
    #expect(abs(report.projection.wallHours - 2 * report.wallHours) < 1e-9)
    #expect(abs(report.projection.energyKWh - 2 * report.energyKWh) < 1e-12)
    #expect(abs(report.projection.co2eKg - 2 * report.co2eKg) < 1e-12)
    #expect(abs(report.projection.modelFlops - 100 * perStep) / (100 * perStep) < 1e-12)
    #expect(abs(report.costUSD! - 0.5 * 50 * 30 * 2 / 3600) < 1e-12)
    let object = try JSONSerialization.jsonObject(with: try RunFileJSON.document(report)) as! [String: Any]
    for key in [
      "params", "tokens", "flops", "model_flops", "device_hours", "wall_hours", "energy_kwh", "co2e_kg",
      "memory_per_device_bytes", "mfu", "projection", "lost",
    ] {
      #expect(object[key] != nil, "report.json lacks \(key)")
    }
    let summary = report.summary
    print(summary)
    #expect(summary.contains("MFU") && summary.contains("full run") && summary.contains("lost work  none"))
    #expect(summary.split(separator: "\n").count >= 6)
  }

  @Test func lostWorkIsNotProjectedAsProgress() throws {
    let run = try Self.run()
    var ledger = ComputeLedger()
    for _ in 0..<10 {
      ledger.addStep(
        modelFlops: 1, hardwareFlops: 1, tokens: run.tokensPerStep, energyKWh: 1, gridIntensity: run.grid,
        wallSeconds: 1, ranks: 2)
    }
    ledger.addLostWork(
      .init(steps: 5, tokens: 5 * 8192, flops: 5, energyKWh: 5, co2eKg: 1, wallSeconds: 5), ranks: 2)
    let report = RunReport(ledger: ledger, run: run)
    // 10 useful steps of 100: 90 remain, at 15 kWh per 15 steps' tokens.
    #expect(abs(report.projection.energyKWh - (15 + 90)) < 1e-9)
    #expect(report.lost.steps == 5)
    #expect(report.summary.contains("5 steps redone"))
  }
}

struct TrainingAccountantTests {
  @Test func recordsStepsIntoTheLedgerWithLiveMFU() throws {
    let run = try PlannerAndReportTests.run()
    let accountant = TrainingAccountant(run: run)
    // Step times an 88 GFLOP/s device can reach (a faster step would raise the peak).
    let live = accountant.record(stepSeconds: 200, energyKWh: 0.001)
    let perStep = ModelFlops.perStep(run.model, tokensPerStep: 8192, seqLen: 1024)
    #expect(accountant.modelFlopsPerStep == perStep)
    #expect(
      accountant.hardwareFlopsPerStep == KernelFlops(config: run.model, sequences: 8, seqLen: 1024).total)
    #expect(abs(live.mfu - perStep / 200 / (2 * 88e9)) < 1e-12)
    #expect(!accountant.peakRaised && live.mfu < 1)
    accountant.record(stepSeconds: 400, energyKWh: 0.001)
    #expect(accountant.ledger.steps == 2 && accountant.ledger.rankSeconds == 1200)
    #expect(abs(accountant.report().mfu - 2 * perStep / 1200 / 88e9) < 1e-12)
    #expect(abs(accountant.ledger.co2eKg - 0.002 * 0.475) < 1e-15)
  }
}
