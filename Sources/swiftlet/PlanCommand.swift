import Accounting
import ArgumentParser
import Foundation
import GPT
import SwiftletCore
import Training

/// `swiftlet plan` (docs/accounting.md): time, energy, CO2e, cost and memory of a run before it
/// starts. Formulas and sources: docs/accounting.md.
struct Plan: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "plan",
    abstract: "Estimate the time, energy, CO2e, cost and memory of a training run.",
    discussion: """
      flops = 6·N·D (GPT-3 Table D.1, Kaplan et al. 2020); model_flops adds attention as PaLM's \
      Appendix B does (6N + 12·n_layer·d_model·seq_len per token). Wall time = model_flops / \
      (devices × peak × MFU) unless --hours gives it. Energy = devices × hours × average power \
      per device × PUE; CO2e = energy × grid intensity.

      Memory per device is Swiftlet's fp32 layout for the given tp, micro-batch (--batch-size) \
      and sequence length. Counts accept scientific notation: --tokens 300e9, --params 1.5e9.

      Example: swiftlet plan --model gpt3-6.7B --tokens 300e9 --hardware a100-80gb --devices 256
      """)

  @Option(name: .long, help: "Model preset (e.g. gpt2-124M, gpt3-6.7B, opt-1.3b).")
  var model: String?

  @Option(name: .long, help: "Training config (TOML): model, tokens, layout and accounting keys.")
  var config: String?

  @Option(
    name: .long, parsing: .unconditional, help: "Parameter count N when no shape is known (e.g. 1.5e9).")
  var params: String?

  @Option(
    name: .long, parsing: .unconditional, help: "Training tokens D (e.g. 300e9). Default: from --config.")
  var tokens: String?

  @Option(
    name: .long,
    help:
      "Hardware profile: auto/cpu (this machine, measured), p100, v100, a100-40gb, a100-80gb, h100, tpu-v2, tpu-v3, tpu-v4."
  )
  var hardware: String?

  @Option(name: .long, parsing: .unconditional, help: "Number of devices (ranks). Default: tp × dp, or 1.")
  var devices: String?

  @Option(
    name: .long, parsing: .unconditional,
    help: "Wall-clock hours of the run (instead of deriving them from --mfu).")
  var hours: String?

  @Option(
    name: .long, parsing: .unconditional, help: "Model FLOPs utilisation to assume, in (0, 1]. Default 0.4.")
  var mfu: String?

  @Option(
    name: .customLong("power-watts"), parsing: .unconditional,
    help: "Average power per device in watts (instead of the profile's).")
  var powerWatts: String?

  @Option(name: .long, parsing: .unconditional, help: "Data-centre PUE (≥ 1). Default 1.0, or the config's.")
  var pue: String?

  @Option(
    name: .customLong("grid-intensity"), parsing: .unconditional, help: "Grid carbon intensity in gCO2e/kWh.")
  var gridIntensity: String?

  @Option(name: .long, help: "Region whose grid intensity applies (world, us, fr, gcp-us-central1, …).")
  var region: String?

  @Option(name: .long, parsing: .unconditional, help: "Tensor-parallel size.")
  var tp: String?

  @Option(name: .long, parsing: .unconditional, help: "Data-parallel size.")
  var dp: String?

  @Option(name: .long, parsing: .unconditional, help: "Pipeline stages (1F1B); memory is the fullest stage's.")
  var pp: String?

  @Option(
    name: .long, parsing: .unconditional,
    help: "Micro-batches per step with --pp (the bubble is (pp − 1) / (microbatches + pp − 1)). Default: pp.")
  var microbatches: String?

  @Option(
    name: .customLong("price-per-device-hour"), parsing: .unconditional,
    help: "USD per device-hour, for a cost estimate.")
  var pricePerDeviceHour: String?

  @Option(
    name: .customLong("batch-size"), parsing: .unconditional,
    help: "Sequences per device per micro-step, for activation memory. Default 1, or from --config.")
  var batchSize: String?

  @Option(
    name: .customLong("seq-len"), parsing: .unconditional,
    help: "Sequence length T. Default: the model's n_ctx, or the config's.")
  var seqLen: String?

  @Option(name: .long, help: "Optimizer for the memory estimate: adamw or adafactor.")
  var optimizer: String?

  @Flag(
    name: .long,
    help: "Shard the optimizer state over data-parallel ranks (ZeRO-1; also when --config sets parallel.zero = 1).")
  var zero1 = false

  @Flag(name: .long, help: "Shard the gradients as well (ZeRO-2; also when --config sets parallel.zero = 2).")
  var zero2 = false

  @Flag(
    name: .long,
    help: "Activation recomputation (train.recompute): keep only each block's input. Default: the config's.")
  var recompute = false

  @Option(
    name: .customLong("peak-tflops"), parsing: .unconditional,
    help: "Peak TFLOP/s per device (instead of the profile's).")
  var peakTFLOPS: String?

  @Flag(name: .long, help: "Measure this machine's sgemm peak again instead of using the cache (cpu/auto).")
  var recalibrate = false

  @Option(
    name: .customLong("intensity-series"),
    help:
      "CSV of timestamp,gco2_per_kwh (ISO 8601 UTC, ascending): find the start between --start-after and --deadline with the least CO2e."
  )
  var intensitySeries: String?

  @Option(name: .customLong("start-after"), help: "Earliest start, ISO 8601 UTC (with --intensity-series).")
  var startAfter: String?

  @Option(name: .long, help: "Time by which the run must have finished, ISO 8601 UTC (with --intensity-series).")
  var deadline: String?

  @Flag(name: .long, help: "Print one JSON object instead of a table.")
  var json = false

  func run() throws {
    let sources = [model != nil, config != nil, params != nil].filter { $0 }.count
    if sources > 1 { throw SwiftletError("give only one of --model, --config and --params") }
    if sources == 0 {
      throw SwiftletError("missing model size: give --model PRESET, --config FILE or --params N")
    }
    if gridIntensity != nil && region != nil {
      throw SwiftletError("give either --grid-intensity or --region, not both")
    }
    if hours != nil && mfu != nil {
      throw SwiftletError("--hours and --mfu both set the run time; give one")
    }
    let carbonWindow = try carbonWindowRequest()
    let runConfig = try config.map { try RunConfig.load(path: $0, overrides: []) }

    // Model and size.
    var shape: GPTConfig?
    var parameterCount: Double?
    var title: String
    if let model {
      shape = try GPTConfig.preset(named: model)
      title = model
    } else if let runConfig {
      shape = runConfig.model
      let preset = runConfig.modelKeys.preset
      title = preset.isEmpty ? "custom model (\(config!))" : preset
    } else {
      parameterCount = try Count.positive(params!, flag: "--params")
      title = "\(params!) parameters"
    }

    // Layout.
    let tensorParallel = try tp.map { try Count.whole($0, flag: "--tp") } ?? runConfig?.parallel.tp ?? 1
    let dpValue = try dp.map { try Count.whole($0, flag: "--dp") }
    let devicesValue = try devices.map { try Count.whole($0, flag: "--devices") }
    let pipeline = try pp.map { try Count.whole($0, flag: "--pp") } ?? 1
    let microbatchCount = try microbatches.map { try Count.whole($0, flag: "--microbatches") } ?? pipeline
    let modelParallel = tensorParallel * pipeline
    let deviceCount: Int
    switch (devicesValue, dpValue) {
    case (let d?, let p?):
      guard d == p * modelParallel else {
        throw SwiftletError(
          "--devices \(d) contradicts --dp \(p) × --tp \(tensorParallel) × --pp \(pipeline) = \(p * modelParallel)")
      }
      deviceCount = d
    case (let d?, nil): deviceCount = d
    case (nil, let p?): deviceCount = p * modelParallel
    case (nil, nil): deviceCount = modelParallel
    }
    guard deviceCount % modelParallel == 0 else {
      throw SwiftletError("--devices \(deviceCount) is not divisible by --tp × --pp (\(tensorParallel) × \(pipeline))")
    }
    let dataParallel = deviceCount / modelParallel

    // Tokens and sequence shape.
    let tokenCount: Double
    if let tokens {
      tokenCount = try Count.positive(tokens, flag: "--tokens")
    } else if let runConfig {
      let target = runConfig.accounting.targetTokens
      tokenCount = target > 0 ? target : Double(runConfig.train.maxSteps) * Double(runConfig.tokensPerStep)
    } else {
      throw SwiftletError("missing --tokens (how many tokens to train on, e.g. 300e9)")
    }
    let seqLenValue = try seqLen.map { try Count.whole($0, flag: "--seq-len") } ?? runConfig?.seqLen
    let microBatch: Int
    if let batchSize {
      microBatch = try Count.whole(batchSize, flag: "--batch-size")
    } else if let runConfig {
      try runConfig.validateLayout(dataParallel: dataParallel)
      microBatch = runConfig.train.batchSize / (dataParallel * runConfig.gradAccum)
    } else {
      microBatch = 1
    }
    let optimizerKind =
      try optimizer.map { name in
        guard let named = MemoryEstimate.Optimizer(rawValue: name.lowercased()) else {
          throw SwiftletError("unknown optimizer '\(name)'; use adamw or adafactor")
        }
        return named
      } ?? runConfig?.train.optimizer ?? .adamw

    // Hardware, power and carbon.
    let hardwareName = hardware ?? runConfig?.accounting.hardware ?? "auto"
    var profile = try HardwareProfile.resolve(hardwareName, remeasure: recalibrate)
    if let peakTFLOPS { profile.peakFlops = try Count.positive(peakTFLOPS, flag: "--peak-tflops") * 1e12 }
    let grid: GridIntensity
    if let gridIntensity {
      grid = try GridIntensity.resolve(
        gramsPerKWh: Count.positive(gridIntensity, flag: "--grid-intensity"), region: nil)
    } else if let region {
      grid = try GridIntensity.named(region)
    } else if let runConfig {
      let value = runConfig.accounting.gridIntensity
      grid = try GridIntensity.resolve(
        gramsPerKWh: value > 0 ? value : nil, region: runConfig.accounting.region)
    } else {
      grid = try GridIntensity.named("world")
    }
    let configPrice = runConfig.map { $0.accounting.pricePerDeviceHour }.flatMap {
      $0 > 0 ? $0 : nil
    }

    var request = PlanRequest(
      model: shape, parameters: parameterCount, tokens: tokenCount, seqLen: seqLenValue,
      hardware: profile, devices: deviceCount, tensorParallel: tensorParallel,
      hours: try hours.map { try Count.positive($0, flag: "--hours") },
      mfu: try mfu.map { try Count.positive($0, flag: "--mfu") } ?? PlanRequest.defaultMFU,
      powerWatts: try powerWatts.map { try Count.positive($0, flag: "--power-watts") },
      pue: try pue.map { try Count.positive($0, flag: "--pue") } ?? runConfig?.accounting.pue ?? 1,
      grid: grid,
      pricePerDeviceHour: try pricePerDeviceHour.map {
        try Count.nonNegative($0, flag: "--price-per-device-hour")
      } ?? configPrice,
      microBatch: microBatch, optimizer: optimizerKind,
      zeroStage1: zero1 || zero2 || (runConfig?.parallel.zero ?? .off) >= .optimizerState,
      recompute: recompute || runConfig?.train.recompute == true)
    request.pipeline = pipeline
    request.zeroStage2 = zero2 || runConfig?.parallel.zero == .gradients
    request.microbatches = microbatchCount
    var plan = try Planner.plan(request)
    if let carbonWindow,
      let warning = try plan.place(
        on: carbonWindow.series, startAfter: carbonWindow.startAfter, deadline: carbonWindow.deadline)
    {
      FileHandle.standardError.write(Data("warning: \(warning)\n".utf8))
    }
    if json {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.sortedKeys]
      print(String(decoding: try encoder.encode(plan), as: UTF8.self))
    } else {
      print(plan.table(title: "plan: \(title) on \(deviceCount) × \(profile.name) (\(profile.description))"))
    }
  }
}

extension Plan {
  /// The series and window of `--intensity-series`, `--start-after`, `--deadline` (all three
  /// or none), checked before anything else is computed.
  fileprivate func carbonWindowRequest() throws -> (series: IntensitySeries, startAfter: Double, deadline: Double)? {
    guard let intensitySeries else {
      if startAfter != nil || deadline != nil {
        throw SwiftletError("--start-after and --deadline need --intensity-series FILE")
      }
      return nil
    }
    guard let startAfter, let deadline else {
      throw SwiftletError("--intensity-series needs --start-after T and --deadline T (ISO 8601 UTC)")
    }
    if gridIntensity != nil || region != nil {
      throw SwiftletError("give either --intensity-series or --grid-intensity/--region, not both")
    }
    let from = try UTCTimestamp.parse(startAfter, what: "--start-after")
    let to = try UTCTimestamp.parse(deadline, what: "--deadline")
    guard to > from else {
      throw SwiftletError("--deadline \(deadline) must be after --start-after \(startAfter)")
    }
    return (try IntensitySeries.load(path: intensitySeries), from, to)
  }
}

/// Parses numeric flags: plain or scientific notation (`300e9`), `_` separators allowed.
enum Count {
  static func number(_ text: String, flag: String) throws -> Double {
    let cleaned = text.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "_", with: "")
    guard let value = Double(cleaned), value.isFinite else {
      throw SwiftletError("\(flag) must be a number like 300e9, got '\(text)'")
    }
    return value
  }

  static func positive(_ text: String, flag: String) throws -> Double {
    let value = try number(text, flag: flag)
    guard value > 0 else { throw SwiftletError("\(flag) must be positive, got \(text)") }
    return value
  }

  static func nonNegative(_ text: String, flag: String) throws -> Double {
    let value = try number(text, flag: flag)
    guard value >= 0 else { throw SwiftletError("\(flag) must not be negative, got \(text)") }
    return value
  }

  /// A positive whole number (`1e4` is accepted as 10000).
  static func whole(_ text: String, flag: String) throws -> Int {
    let value = try positive(text, flag: flag)
    guard value == value.rounded(), value < 1e15 else {
      throw SwiftletError("\(flag) must be a whole number, got \(text)")
    }
    return Int(value)
  }
}
