import Checkpointing
import Foundation
import GPT
import RunFiles
import SwiftletCore
import TOMLKit

/// The resolved configuration of a run: the TOML file, then `--set` overrides, then defaults,
/// checked and with the model shape resolved from its preset. Sections read as properties:
/// `config.train.lr`, `config.parallel.zero`.
@dynamicMemberLookup
public struct RunConfig: Sendable {
  /// Every key's value, as written or defaulted.
  public let settings: ConfigDocument
  /// The resolved model shape.
  public let model: GPTConfig

  public subscript<Value>(dynamicMember property: KeyPath<ConfigDocument, Value>) -> Value {
    settings[keyPath: property]
  }

  /// Reads `path` (TOML) and applies `overrides` (`section.key=value`).
  public static func load(path: String?, overrides: [String], runDirectory: String? = nil) throws -> RunConfig {
    var settings = ConfigDocument()
    if let path {
      let text: String
      do {
        text = try String(contentsOfFile: path, encoding: .utf8)
      } catch {
        throw SwiftletError("cannot read config file \(path): \((error as NSError).localizedDescription)")
      }
      settings = try ConfigDocument(toml: text, source: path)
    }
    for override in overrides {
      guard let equals = override.firstIndex(of: "=") else {
        throw SwiftletError("--set '\(override)' must look like section.key=value")
      }
      let key = String(override[..<equals]).trimmingCharacters(in: .whitespaces)
      try settings.set(key, to: ConfigValue(parsing: String(override[override.index(after: equals)...])))
    }
    if let runDirectory { settings.run.dir = runDirectory }
    return try RunConfig(settings: settings)
  }

  /// Checks `settings` and resolves the model shape.
  public init(settings: ConfigDocument) throws {
    try self.init(settings: settings, storedModel: nil, requireData: true)
  }

  /// - Parameters:
  ///   - storedModel: the model shape when it is already resolved (a stored config whose
  ///     `model.init_from` source may no longer exist); nil resolves it from the keys.
  ///   - requireData: whether `data.train` must be set (not for stored or imported configs).
  init(settings: ConfigDocument, storedModel: GPTConfig?, requireData: Bool) throws {
    self.settings = settings
    model = try storedModel ?? RunConfig.resolveModel(settings.modelKeys)
    try validate(requireData: requireData)
  }

  /// The configuration stored in a checkpoint made by `swiftlet import`: defaults, the source
  /// as `model.init_from`, and its model shape.
  public static func imported(model: GPTConfig, source: String) throws -> RunConfig {
    var settings = ConfigDocument()
    settings.modelKeys.initFrom = source
    return try RunConfig(settings: settings, storedModel: model, requireData: false)
  }

  static func resolveModel(_ keys: ModelSettings) throws -> GPTConfig {
    if !keys.initFrom.isEmpty { return try InitialWeights.modelShape(source: keys.initFrom, keys: keys) }
    var config: GPTConfig
    if keys.preset.isEmpty {
      config = GPTConfig(nLayer: 0, nHead: 0, dModel: 0, nCtx: 0, vocabSize: 0)
    } else {
      config = try GPTConfig.preset(named: keys.preset)
    }
    // 0 keeps the preset's value.
    if keys.nLayer != 0 { config.nLayer = keys.nLayer }
    if keys.nHead != 0 { config.nHead = keys.nHead }
    if keys.dModel != 0 {
      config.dModel = keys.dModel
      config.ffnDim = 4 * keys.dModel
    }
    if keys.nCtx != 0 { config.nCtx = keys.nCtx }
    if keys.vocabSize != 0 { config.vocabSize = keys.vocabSize }
    if keys.wordEmbedProjDim != 0 { config.wordEmbedProjDim = keys.wordEmbedProjDim }
    if config.wordEmbedProjDim == config.dModel { config.wordEmbedProjDim = nil }  // one spelling of "no projection"
    if keys.preset.isEmpty
      && (config.nLayer == 0 || config.nHead == 0 || config.dModel == 0 || config.nCtx == 0 || config.vocabSize == 0)
    {
      throw SwiftletError("the model needs model.preset or all of n_layer, n_head, d_model, n_ctx, vocab_size")
    }
    try config.validate()
    return config
  }

  func validate(requireData: Bool) throws {
    func require(_ holds: Bool, _ name: String, _ rule: String, _ value: Any) throws {
      if !holds { throw SwiftletError("\(name) \(rule), got \(value)") }
    }
    let train = settings.train
    let parallel = settings.parallel
    let accounting = settings.accounting
    for (name, value) in [
      ("train.batch_size", train.batchSize), ("train.grad_accum", train.gradAccum), ("train.max_steps", train.maxSteps),
      ("parallel.tp", parallel.tp), ("parallel.pp", parallel.pp), ("checkpoint.keep", settings.checkpoint.keep),
      ("train.eval_batches", train.evalBatches), ("train.max_nonfinite", train.maxNonfinite),
    ] {
      try require(value > 0, name, "must be positive", value)
    }
    for (name, value) in [
      ("parallel.microbatches", parallel.microbatches), ("train.warmup_steps", train.warmupSteps),
      ("train.eval_every", train.evalEvery), ("checkpoint.every", settings.checkpoint.every),
      ("train.log_every", train.logEvery), ("train.threads", train.threads), ("train.seed", train.seed),
    ] {
      try require(value >= 0, name, "must not be negative", value)
    }
    if parallel.microbatches > 0 && train.gradAccum > 1 && parallel.microbatches != train.gradAccum {
      throw SwiftletError(
        "parallel.microbatches (\(parallel.microbatches)) and train.grad_accum (\(train.gradAccum)) both "
          + "split the batch into micro-steps; set only one of them")
    }
    if model.nLayer % parallel.pp != 0 {
      throw SwiftletError(
        "model.n_layer (\(model.nLayer)) is not divisible into \(parallel.pp) pipeline stages; "
          + "choose parallel.pp among the divisors of \(model.nLayer)")
    }
    if seqLen < 1 || seqLen > model.nCtx {
      throw SwiftletError("train.seq_len (\(seqLen)) must be between 1 and model.n_ctx (\(model.nCtx))")
    }
    for (name, value) in [
      ("train.lr", train.lr), ("train.min_lr", train.minLR), ("train.weight_decay", train.weightDecay),
      ("train.grad_clip", train.gradClip), ("train.eps", train.eps),
      ("accounting.grid_intensity", accounting.gridIntensity),
      ("accounting.price_per_device_hour", accounting.pricePerDeviceHour),
      ("accounting.target_tokens", accounting.targetTokens),
    ] {
      try require(value.isFinite && value >= 0, name, "must be a finite non-negative number", value)
    }
    if train.minLR > train.lr {
      throw SwiftletError("train.min_lr (\(train.minLR)) must not exceed train.lr (\(train.lr))")
    }
    for (name, value) in [
      ("train.beta1", train.beta1), ("train.beta2", train.beta2), ("train.adafactor_beta1", train.adafactorBeta1),
    ] {
      try require((0..<1).contains(value), name, "must be in [0, 1)", value)
    }
    try require(accounting.pue >= 1, "accounting.pue", "must be at least 1.0", accounting.pue)
    try validateCarbonKeys()
    if settings.checkpoint.resume.isEmpty {
      throw SwiftletError("checkpoint.resume must be auto, never or a checkpoint path")
    }
    if requireData && settings.data.train.isEmpty {
      throw SwiftletError("data.train is not set: give the training token shards (run `swiftlet prepare` to make them)")
    }
    if settings.run.dir.isEmpty { throw SwiftletError("run.dir must not be empty") }
  }

  public var seqLen: Int { settings.train.seqLen == 0 ? model.nCtx : settings.train.seqLen }
  /// Micro-steps per optimizer step: `parallel.microbatches` when set, else `train.grad_accum`.
  public var gradAccum: Int {
    settings.parallel.microbatches > 0 ? settings.parallel.microbatches : settings.train.gradAccum
  }
  public var seed: UInt64 { UInt64(settings.train.seed) }
  /// Tokens consumed per optimizer step over all ranks.
  public var tokensPerStep: Int { settings.train.batchSize * seqLen }

  /// Checks the batch splits evenly over data-parallel ranks and micro-steps.
  public func validateLayout(dataParallel dp: Int) throws {
    if settings.train.batchSize % (dp * gradAccum) != 0 {
      let what = settings.parallel.microbatches > 0 ? "parallel.microbatches" : "grad_accum"
      throw SwiftletError(
        "train.batch_size (\(settings.train.batchSize)) must be divisible by data-parallel size (\(dp)) × \(what) (\(gradAccum))"
      )
    }
  }

  /// The resolved configuration as JSON text (`StoredRunConfig`): stored in checkpoints and
  /// broadcast by rank 0. `train.seq_len` is the resolved one.
  public var json: String {
    var stored = settings
    stored.train.seqLen = seqLen
    // Config values are finite numbers, strings and booleans: encoding cannot fail.
    let data = try! RunFileJSON.document(StoredRunConfig(settings: stored, model: StoredModelConfig(model)))
    return String(decoding: data, as: UTF8.self)
  }

  /// Parses `json` produced by `json` (the checkpoint's or rank 0's broadcast).
  public static func fromJSON(_ text: String) throws -> RunConfig {
    let stored: StoredRunConfig
    do {
      stored = try JSONDecoder().decode(StoredRunConfig.self, from: Data(text.utf8))
    } catch let error as SwiftletError {
      throw SwiftletError("stored config: \(error.message)")
    } catch {
      throw SwiftletError("stored config is not valid JSON")
    }
    // A stored config was validated when written; with model.init_from its shape is the one
    // resolved then (the source need not exist any more).
    var storedModel: GPTConfig?
    if !stored.settings.modelKeys.initFrom.isEmpty {
      guard let model = stored.model else { throw SwiftletError("the checkpoint's config has no 'model' object") }
      storedModel = try model.resolved()
    }
    return try RunConfig(settings: stored.settings, storedModel: storedModel, requireData: false)
  }
}
