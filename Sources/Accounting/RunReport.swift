import Foundation
import GPT

/// What a run is, for its report: the configuration facts the ledger does not carry.
public struct RunDescription: Sendable {
  /// Preset name or a description of the shape.
  public var modelName: String
  public var model: GPTConfig
  public var seqLen: Int
  /// Global tokens per optimizer step (`batch_size × seq_len`).
  public var tokensPerStep: Int
  public var maxSteps: Int
  /// Tokens of the full run; nil or 0 means `maxSteps × tokensPerStep`.
  public var targetTokens: Double?
  /// World size (ranks = devices).
  public var devices: Int
  public var tensorParallel: Int
  /// Pipeline stages.
  public var pipelineParallel: Int
  /// Micro-steps per optimizer step (the pipeline's micro-batches).
  public var microbatches: Int
  /// Sequences per rank per micro-step.
  public var microBatch: Int
  public var optimizer: MemoryEstimate.Optimizer
  /// Activation recomputation (`train.recompute`).
  public var recompute: Bool
  public var hardware: HardwareProfile
  public var grid: GridIntensity
  public var pue: Double
  public var pricePerDeviceHour: Double?
  public var energyMethod: EnergyMeter.Method

  public init(
    modelName: String, model: GPTConfig, seqLen: Int, tokensPerStep: Int, maxSteps: Int,
    targetTokens: Double? = nil, devices: Int, tensorParallel: Int = 1, microBatch: Int,
    optimizer: MemoryEstimate.Optimizer = .adamw, hardware: HardwareProfile, grid: GridIntensity,
    pue: Double, pricePerDeviceHour: Double? = nil, energyMethod: EnergyMeter.Method,
    recompute: Bool = false, pipelineParallel: Int = 1, microbatches: Int = 1
  ) {
    self.pipelineParallel = pipelineParallel
    self.microbatches = microbatches
    self.modelName = modelName
    self.model = model
    self.seqLen = seqLen
    self.tokensPerStep = tokensPerStep
    self.maxSteps = maxSteps
    self.targetTokens = targetTokens
    self.devices = devices
    self.tensorParallel = tensorParallel
    self.microBatch = microBatch
    self.optimizer = optimizer
    self.recompute = recompute
    self.hardware = hardware
    self.grid = grid
    self.pue = pue
    self.pricePerDeviceHour = pricePerDeviceHour
    self.energyMethod = energyMethod
  }

  /// Tokens of the configured full run.
  public var fullRunTokens: Double {
    if let targetTokens, targetTokens > 0 { return targetTokens }
    return Double(maxSteps) * Double(tokensPerStep)
  }
}

/// `RUN_DIR/report.json` (docs/accounting.md): the run as done, with the contract's plan
/// fields, and its projection to the configured full run at the throughput and energy per token
/// observed so far.
public struct RunReport: Codable, Equatable, Sendable {
  public struct Lost: Codable, Equatable, Sendable {
    public var steps: Int
    public var tokens: Double
    public var flops: Double
    public var energyKWh: Double
    public var co2eKg: Double
    public var wallHours: Double
    enum CodingKeys: String, CodingKey {
      case steps, tokens, flops
      case energyKWh = "energy_kwh"
      case co2eKg = "co2e_kg"
      case wallHours = "wall_hours"
    }
  }

  public struct Projection: Codable, Equatable, Sendable {
    public var tokens: Double
    public var steps: Double
    public var flops: Double
    public var modelFlops: Double
    public var deviceHours: Double
    public var wallHours: Double
    public var remainingWallHours: Double
    public var energyKWh: Double
    public var co2eKg: Double
    public var costUSD: Double?
    public var basis: String
    enum CodingKeys: String, CodingKey {
      case tokens, steps, flops
      case modelFlops = "model_flops"
      case deviceHours = "device_hours"
      case wallHours = "wall_hours"
      case remainingWallHours = "remaining_wall_hours"
      case energyKWh = "energy_kwh"
      case co2eKg = "co2e_kg"
      case costUSD = "cost_usd"
      case basis
    }
  }

  public var model: String
  public var params: Double
  public var tokens: Double
  /// 6·N·D over the tokens processed.
  public var flops: Double
  /// PaLM model FLOPs (the ledger's).
  public var modelFlops: Double
  public var hardwareFlops: Double
  public var deviceHours: Double
  public var wallHours: Double
  public var energyKWh: Double
  public var co2eKg: Double
  public var memoryPerDeviceBytes: Double
  public var costUSD: Double?
  public var peak: Double
  public var mfu: Double
  public var tokensPerSecond: Double
  public var devices: Int
  public var tensorParallel: Int
  public var dataParallel: Int
  public var pipelineParallel: Int
  public var hardware: String
  public var steps: Int
  public var energyMethod: String
  public var pue: Double
  public var gridIntensity: Double
  public var region: String
  public var lost: Lost
  public var equivalents: CarbonEquivalents
  public var projection: Projection

  enum CodingKeys: String, CodingKey {
    case model, params, tokens, flops
    case modelFlops = "model_flops"
    case hardwareFlops = "hardware_flops"
    case deviceHours = "device_hours"
    case wallHours = "wall_hours"
    case energyKWh = "energy_kwh"
    case co2eKg = "co2e_kg"
    case memoryPerDeviceBytes = "memory_per_device_bytes"
    case costUSD = "cost_usd"
    case peak, mfu
    case tokensPerSecond = "tokens_per_second"
    case devices
    case tensorParallel = "tp"
    case dataParallel = "dp"
    case pipelineParallel = "pp"
    case hardware, steps
    case energyMethod = "energy_method"
    case pue
    case gridIntensity = "grid_intensity"
    case region, lost, equivalents, projection
  }

  /// Builds the report from the job's ledger.
  ///
  /// - Parameter tokensPerSecond: steady-state throughput (e.g. the smoothed tok/s of the
  ///   progress line, step 1 left out); by default the ledger's average.
  public init(ledger: ComputeLedger, run: RunDescription, tokensPerSecond: Double? = nil) {
    let n = Double(run.model.parameterCount)
    let dp = max(1, run.devices / max(1, run.tensorParallel * run.pipelineParallel))
    model = run.modelName
    params = n
    tokens = ledger.tokens
    flops = ModelFlops.sixND(parameters: n, tokens: ledger.tokens)
    modelFlops = ledger.flops
    hardwareFlops = ledger.hardwareFlops
    deviceHours = ledger.rankSeconds / 3600
    wallHours = ledger.wallSeconds / 3600
    energyKWh = ledger.energyKWh
    co2eKg = ledger.co2eKg
    memoryPerDeviceBytes =
      (try? MemoryEstimate(
        config: run.model, tensorParallel: run.tensorParallel, dataParallel: dp,
        microBatch: run.microBatch, seqLen: run.seqLen, optimizer: run.optimizer, recompute: run.recompute,
        pipeline: run.pipelineParallel, microbatches: run.microbatches))?.total
      ?? 0
    costUSD = run.pricePerDeviceHour.map { $0 * ledger.rankSeconds / 3600 }
    peak = run.hardware.peakFlops
    mfu = ledger.rankSeconds > 0 && peak > 0 ? ledger.flops / (ledger.rankSeconds * peak) : 0
    let average = ledger.wallSeconds > 0 ? ledger.tokens / ledger.wallSeconds : 0
    self.tokensPerSecond = tokensPerSecond ?? average
    devices = run.devices
    tensorParallel = run.tensorParallel
    dataParallel = dp
    pipelineParallel = run.pipelineParallel
    hardware = run.hardware.name
    steps = ledger.steps
    energyMethod = run.energyMethod.rawValue
    pue = run.pue
    gridIntensity = run.grid.gramsPerKWh
    region = run.grid.region
    lost = Lost(
      steps: ledger.lostSteps, tokens: ledger.lostTokens, flops: ledger.lostFlops,
      energyKWh: ledger.lostEnergyKWh, co2eKg: ledger.lostCO2eKg, wallHours: ledger.lostWallSeconds / 3600)
    equivalents = CarbonEquivalents(co2eKg: ledger.co2eKg)

    // Projection: what remains of the full run at the observed rates per token.
    let target = run.fullRunTokens
    let useful = ledger.tokens - ledger.lostTokens
    let remaining = max(0, target - useful)
    let throughput = self.tokensPerSecond
    let remainingWall = throughput > 0 ? remaining / throughput : 0
    let perToken = { (total: Double) in ledger.tokens > 0 ? total / ledger.tokens : 0 }
    let remainingEnergy = remaining * perToken(ledger.energyKWh)
    let remainingCO2e = remaining * perToken(ledger.co2eKg)
    let projectedDeviceHours = (ledger.rankSeconds + remainingWall * Double(run.devices)) / 3600
    projection = Projection(
      tokens: target, steps: run.tokensPerStep > 0 ? target / Double(run.tokensPerStep) : 0,
      flops: ModelFlops.sixND(parameters: n, tokens: target),
      modelFlops: ledger.flops + remaining * ModelFlops.perToken(run.model, seqLen: run.seqLen),
      deviceHours: projectedDeviceHours, wallHours: (ledger.wallSeconds + remainingWall) / 3600,
      remainingWallHours: remainingWall / 3600, energyKWh: ledger.energyKWh + remainingEnergy,
      co2eKg: ledger.co2eKg + remainingCO2e,
      costUSD: run.pricePerDeviceHour.map { $0 * projectedDeviceHours },
      basis: "totals so far plus the remaining tokens at the observed throughput and energy per token")
  }

  /// `report.json` text (pretty-printed, sorted keys).
  public func json() throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    return String(decoding: try encoder.encode(self), as: UTF8.self)
  }

  /// The human summary printed at the end of a run.
  public var summary: String {
    let wall = Format.duration(seconds: wallHours * 3600)
    let method = energyMethod.replacingOccurrences(of: "_", with: " ")
    let mfuText = String(format: "%.1f%%", mfu * 100)
    var lines = [
      "swiftlet run: \(model), \(Format.number(params)) parameters, \(devices) × \(hardware) "
        + "(dp \(dataParallel) × tp \(tensorParallel)\(pipelineParallel > 1 ? " × pp \(pipelineParallel)" : ""))",
      "  done       \(steps) steps, \(Format.number(tokens)) tokens in \(wall) "
        + "(\(Format.number(tokensPerSecond)) tok/s), \(Format.number(deviceHours)) device-hours",
      "  compute    \(Format.flops(modelFlops)) model FLOPs (PaLM), \(Format.flops(hardwareFlops)) executed; "
        + "MFU \(mfuText) of \(Format.rate(peak)) per device",
      "  energy     \(Format.energy(kWh: energyKWh)) (\(method), PUE \(Format.number(pue)))",
      "  CO2e       \(Format.mass(kg: co2eKg)) (\(region), \(Format.number(gridIntensity)) g/kWh) "
        + "— like \(equivalents.sentence)",
    ]
    if lost.steps > 0 || lost.energyKWh > 0 {
      lines.append(
        "  lost work  \(lost.steps) steps redone after crashes: \(Format.flops(lost.flops)) FLOPs, "
          + "\(Format.energy(kWh: lost.energyKWh)), \(Format.mass(kg: lost.co2eKg)) CO2e")
    } else {
      lines.append("  lost work  none")
    }
    if let costUSD { lines.append("  cost       $\(Format.number(costUSD))") }
    let p = projection
    var full =
      "  full run   \(Format.flops(p.tokens)) tokens: \(Format.duration(seconds: p.wallHours * 3600)), "
      + "\(Format.energy(kWh: p.energyKWh)), \(Format.mass(kg: p.co2eKg)) CO2e"
    if let cost = p.costUSD { full += ", $\(Format.number(cost))" }
    if p.remainingWallHours > 0 {
      full += " (\(Format.duration(seconds: p.remainingWallHours * 3600)) to go)"
    }
    lines.append(full)
    return lines.joined(separator: "\n")
  }
}
