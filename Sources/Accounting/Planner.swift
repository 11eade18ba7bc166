import GPT
import RunFiles
import SwiftletCore

/// What a training run will cost before it starts: `swiftlet plan` (docs/accounting.md).
///
/// - `flops` = 6·N·D; `model_flops` adds PaLM's attention term (needs the model's shape).
/// - Wall time = `model_flops / (devices × peak × MFU)`, unless wall-clock hours are given.
/// - Energy = devices × hours × average power per device × PUE (Patterson et al. 2021, eq. 1
///   and Table 4); CO2e = energy × grid intensity.
public struct PlanRequest: Sendable {
  /// The model's shape; nil when only a parameter count is known.
  public var model: GPTConfig?
  /// N; defaults to the shape's `parameterCount`.
  public var parameters: Double
  public var tokens: Double
  public var seqLen: Int
  public var hardware: HardwareProfile
  public var devices: Int
  public var tensorParallel: Int
  /// Wall-clock hours, replacing the time derived from the MFU.
  public var hours: Double?
  /// Model FLOPs utilisation assumed when `hours` is nil.
  public var mfu: Double
  /// Average watts per device, replacing the profile's.
  public var powerWatts: Double?
  public var pue: Double
  public var grid: GridIntensity
  public var pricePerDeviceHour: Double?
  /// Sequences per device per micro-step (activation memory).
  public var microBatch: Int
  public var optimizer: MemoryEstimate.Optimizer
  public var zeroStage1: Bool
  /// ZeRO-2: the gradients are sharded too.
  public var zeroStage2 = false
  /// Activation recomputation (`train.recompute`): only each block's input stays per layer.
  public var recompute: Bool
  /// Pipeline stages (P) and micro-batches per step (M) under a 1F1B schedule.
  public var pipeline = 1
  public var microbatches = 1

  /// Default MFU for planning: 0.4, between GPT-3 on V100s (24.6 of 125 TFLOPS, Patterson et
  /// al. 2021, Table 4) and PaLM's 46.2% (Chowdhery et al. 2022, Table 3).
  public static let defaultMFU = 0.4

  public init(
    model: GPTConfig?, parameters: Double? = nil, tokens: Double, seqLen: Int? = nil,
    hardware: HardwareProfile, devices: Int = 1, tensorParallel: Int = 1, hours: Double? = nil,
    mfu: Double = PlanRequest.defaultMFU, powerWatts: Double? = nil, pue: Double = 1,
    grid: GridIntensity, pricePerDeviceHour: Double? = nil, microBatch: Int = 1,
    optimizer: MemoryEstimate.Optimizer = .adamw, zeroStage1: Bool = false, recompute: Bool = false
  ) {
    self.model = model
    self.parameters = parameters ?? Double(model?.parameterCount ?? 0)
    self.tokens = tokens
    self.seqLen = seqLen ?? model?.nCtx ?? 2048
    self.hardware = hardware
    self.devices = devices
    self.tensorParallel = tensorParallel
    self.hours = hours
    self.mfu = mfu
    self.powerWatts = powerWatts
    self.pue = pue
    self.grid = grid
    self.pricePerDeviceHour = pricePerDeviceHour
    self.microBatch = microBatch
    self.optimizer = optimizer
    self.zeroStage1 = zeroStage1
    self.recompute = recompute
  }
}

/// The answer of `swiftlet plan`; its JSON keys are those of docs/accounting.md, "Planning".
public struct Plan: Encodable, Equatable, Sendable {
  public var params: Double
  public var tokens: Double
  /// 6·N·D.
  public var flops: Double
  /// PaLM model FLOPs; equals `flops` when the shape is unknown.
  public var modelFlops: Double
  public var deviceHours: Double
  public var wallHours: Double
  public var energyKWh: Double
  public var co2eKg: Double
  public var memoryPerDeviceBytes: Double
  @NullWhenAbsent public var costUSD: Double?
  /// Peak FLOP/s per device.
  public var peak: Double
  /// The MFU assumed, or implied by the given hours.
  public var mfu: Double
  public var devices: Int
  public var tensorParallel: Int
  public var dataParallel: Int
  /// Pipeline stages and the share of the step a 1F1B pipeline idles: (P − 1) / (M + P − 1).
  public var pipeline = 1
  public var microbatches = 1
  public var pipelineBubble = 0.0
  public var hardware: String
  public var powerWattsPerDevice: Double
  public var pue: Double
  public var gridIntensity: Double
  public var region: String
  public var seqLen: Int
  public var memory: MemoryEstimate
  /// Whether `memory.total` fits the device's memory.
  public var fitsInMemory: Bool
  public var deviceMemoryBytes: Double
  public var equivalents: CarbonEquivalents
  /// Caveats worth printing (unknown shape, implied MFU above 1, …).
  public var notes: [String]
  /// With an intensity series (`place(on:)`): the least-CO2e start in the window and the earliest
  /// start, UTC, with the CO2e and mean g/kWh of each and the saving (docs/accounting.md).
  public var bestStart: String?
  public var earliestStart: String?
  public var co2eKgBestStart: Double?
  public var co2eKgEarliestStart: Double?
  public var co2eKgSaving: Double?
  public var gridIntensityBestStart: Double?
  public var gridIntensityEarliestStart: Double?

  enum CodingKeys: String, CodingKey {
    case params, tokens, flops
    case modelFlops = "model_flops"
    case deviceHours = "device_hours"
    case wallHours = "wall_hours"
    case energyKWh = "energy_kwh"
    case co2eKg = "co2e_kg"
    case memoryPerDeviceBytes = "memory_per_device_bytes"
    case costUSD = "cost_usd"
    case peak, mfu, devices
    case tensorParallel = "tp"
    case dataParallel = "dp"
    case pipeline = "pp"
    case microbatches
    case pipelineBubble = "pipeline_bubble"
    case hardware
    case powerWattsPerDevice = "power_watts_per_device"
    case pue
    case gridIntensity = "grid_intensity"
    case region
    case seqLen = "seq_len"
    case memory
    case fitsInMemory = "fits_in_memory"
    case deviceMemoryBytes = "device_memory_bytes"
    case equivalents, notes
    case bestStart = "best_start"
    case earliestStart = "earliest_start"
    case co2eKgBestStart = "co2e_kg_best_start"
    case co2eKgEarliestStart = "co2e_kg_earliest_start"
    case co2eKgSaving = "co2e_kg_saving"
    case gridIntensityBestStart = "grid_intensity_best_start"
    case gridIntensityEarliestStart = "grid_intensity_earliest_start"
  }

  /// Places the run in time on `series` (`CarbonWindow.search`): `co2e_kg`, `grid_intensity`
  /// and the equivalents become those of the best start; the earliest start's figure stays
  /// beside it. Returns a warning when the search held the series' last value past its end.
  public mutating func place(
    on series: IntensitySeries, startAfter: Double, deadline: Double
  ) throws -> String? {
    let window = try CarbonWindow.search(
      series: series, energyKWh: energyKWh, durationSeconds: wallHours * 3600, startAfter: startAfter,
      deadline: deadline)
    bestStart = UTCTimestamp.string(window.bestStart)
    earliestStart = UTCTimestamp.string(window.earliestStart)
    co2eKgBestStart = window.co2eKgBestStart
    co2eKgEarliestStart = window.co2eKgEarliestStart
    co2eKgSaving = window.savingKg
    gridIntensityBestStart = window.meanIntensityBestStart
    gridIntensityEarliestStart = window.meanIntensityEarliestStart
    co2eKg = window.co2eKgBestStart
    gridIntensity = window.meanIntensityBestStart
    region = "intensity series"
    equivalents = CarbonEquivalents(co2eKg: co2eKg)
    guard window.holdsLastValue else { return nil }
    return "\(series.source) ends at \(UTCTimestamp.string(series.end)), before some run windows end; "
      + "its last value (\(Format.number(series.values.last!)) g/kWh) is held past it"
  }
}

public enum Planner {
  /// Computes the plan, or throws a `SwiftletError` for inputs that make no sense.
  public static func plan(_ r: PlanRequest) throws -> Plan {
    guard r.parameters.isFinite, r.parameters > 0 else {
      throw SwiftletError("the model size must be positive, got \(r.parameters) parameters")
    }
    guard r.tokens.isFinite, r.tokens > 0 else {
      throw SwiftletError("tokens must be positive, got \(r.tokens)")
    }
    guard r.devices > 0 else { throw SwiftletError("devices must be positive, got \(r.devices)") }
    guard r.tensorParallel > 0, r.devices % r.tensorParallel == 0 else {
      throw SwiftletError("devices (\(r.devices)) must be divisible by tp (\(r.tensorParallel))")
    }
    guard r.pipeline > 0, r.microbatches > 0 else {
      throw SwiftletError("pp and microbatches must be positive, got pp \(r.pipeline), microbatches \(r.microbatches)")
    }
    guard r.devices % (r.tensorParallel * r.pipeline) == 0 else {
      throw SwiftletError(
        "devices (\(r.devices)) must be divisible by tp × pp (\(r.tensorParallel) × \(r.pipeline))")
    }
    if let model = r.model, r.pipeline > model.nLayer {
      throw SwiftletError("pp (\(r.pipeline)) cannot exceed the model's \(model.nLayer) layers")
    }
    guard r.seqLen > 0 else { throw SwiftletError("seq_len must be positive, got \(r.seqLen)") }
    if let model = r.model, r.seqLen > model.nCtx {
      throw SwiftletError("seq_len (\(r.seqLen)) must not exceed the model's n_ctx (\(model.nCtx))")
    }
    guard r.microBatch > 0 else { throw SwiftletError("batch size must be positive, got \(r.microBatch)") }
    guard r.mfu.isFinite, r.mfu > 0, r.mfu <= 1 else {
      throw SwiftletError("MFU must be in (0, 1], got \(r.mfu)")
    }
    guard r.pue.isFinite, r.pue >= 1 else { throw SwiftletError("PUE must be at least 1.0, got \(r.pue)") }
    if let hours = r.hours, !(hours.isFinite && hours > 0) {
      throw SwiftletError("hours must be positive, got \(hours)")
    }
    if let watts = r.powerWatts, !(watts.isFinite && watts > 0) {
      throw SwiftletError("power must be a positive number of watts, got \(watts)")
    }
    if let price = r.pricePerDeviceHour, !(price.isFinite && price >= 0) {
      throw SwiftletError("price per device-hour must be a non-negative number, got \(price)")
    }
    guard r.hardware.peakFlops > 0 else { throw SwiftletError("the hardware's peak FLOP/s must be positive") }

    var notes: [String] = []
    let dp = r.devices / (r.tensorParallel * r.pipeline)
    let bubble = Double(r.pipeline - 1) / Double(r.microbatches + r.pipeline - 1)
    let flops = ModelFlops.sixND(parameters: r.parameters, tokens: r.tokens)
    let modelFlops: Double
    let memory: MemoryEstimate
    if let model = r.model {
      modelFlops =
        ModelFlops.perToken(
          parameters: r.parameters, nLayer: model.nLayer, dModel: model.dModel, seqLen: r.seqLen) * r.tokens
      memory = try MemoryEstimate(
        config: model, tensorParallel: r.tensorParallel, dataParallel: dp, microBatch: r.microBatch,
        seqLen: r.seqLen, optimizer: r.optimizer, zeroStage1: r.zeroStage1, recompute: r.recompute,
        pipeline: r.pipeline, microbatches: r.microbatches, zeroStage2: r.zeroStage2)
    } else {
      modelFlops = flops
      if r.tensorParallel > 1 || r.pipeline > 1 {
        throw SwiftletError("--tp and --pp need the model's shape: give --model or --config instead of --params")
      }
      memory = MemoryEstimate(
        parameterCount: r.parameters, dataParallel: dp, optimizer: r.optimizer, zeroStage1: r.zeroStage1)
      notes.append("model shape unknown (--params): model_flops omits attention and memory omits activations")
    }

    let peakTotal = Double(r.devices) * r.hardware.peakFlops
    let wallSeconds: Double
    let mfu: Double
    if let hours = r.hours {
      wallSeconds = hours * 3600
      mfu = modelFlops / (peakTotal * wallSeconds)
      if mfu > 1 {
        notes.append("the given hours imply an MFU above 100%: check --hours, --devices and --hardware")
      }
    } else {
      // The MFU is the devices' utilisation while the pipeline is full; the 1F1B bubble adds
      // (P − 1) idle micro-batch slots to every M: the time grows by 1 / (1 − bubble).
      mfu = r.mfu * (1 - bubble)
      wallSeconds = modelFlops / (peakTotal * r.mfu) / (1 - bubble)
    }
    let wallHours = wallSeconds / 3600
    let deviceHours = wallHours * Double(r.devices)
    let watts = r.powerWatts ?? r.hardware.averagePowerWatts
    let energyKWh = deviceHours * watts * r.pue / 1000
    let co2eKg = r.grid.co2eKg(kWh: energyKWh)
    let fits = memory.total <= r.hardware.memoryBytes
    if !fits {
      notes.append(
        "does not fit: \(Format.bytes(memory.total)) per device > \(Format.bytes(r.hardware.memoryBytes)); raise --tp, use adafactor, --zero1 or --recompute, or lower --batch-size"
      )
    }
    return Plan(
      params: r.parameters, tokens: r.tokens, flops: flops, modelFlops: modelFlops,
      deviceHours: deviceHours, wallHours: wallHours, energyKWh: energyKWh, co2eKg: co2eKg,
      memoryPerDeviceBytes: memory.total, costUSD: r.pricePerDeviceHour.map { $0 * deviceHours },
      peak: r.hardware.peakFlops, mfu: mfu, devices: r.devices, tensorParallel: r.tensorParallel,
      dataParallel: dp, pipeline: r.pipeline, microbatches: r.microbatches, pipelineBubble: bubble,
      hardware: r.hardware.name, powerWattsPerDevice: watts, pue: r.pue,
      gridIntensity: r.grid.gramsPerKWh, region: r.grid.region, seqLen: r.seqLen, memory: memory,
      fitsInMemory: fits, deviceMemoryBytes: r.hardware.memoryBytes,
      equivalents: CarbonEquivalents(co2eKg: co2eKg), notes: notes)
  }
}
