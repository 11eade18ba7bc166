import Checkpointing
import Foundation
import GPT
import RunFiles
import SwiftletCore
import TOMLKit

/// The resolved configuration of a run: the TOML file, then `--set` overrides, then defaults,
/// checked and with the model shape resolved from its preset.
public struct RunConfig: Sendable {
  /// Every schema key with its value.
  public private(set) var values: [String: ConfigValue]
  public let model: GPTConfig

  /// Reads `path` (TOML) and applies `overrides` (`section.key=value`).
  public static func load(path: String?, overrides: [String], runDirectory: String? = nil) throws -> RunConfig {
    var values: [String: ConfigValue] = [:]
    if let path {
      let text: String
      do {
        text = try String(contentsOfFile: path, encoding: .utf8)
      } catch {
        throw SwiftletError("cannot read config file \(path): \((error as NSError).localizedDescription)")
      }
      values = try parseTOML(text, source: path)
    }
    for override in overrides {
      guard let equals = override.firstIndex(of: "=") else {
        throw SwiftletError("--set '\(override)' must look like section.key=value")
      }
      let key = String(override[..<equals]).trimmingCharacters(in: .whitespaces)
      guard ConfigSchema.byName[key] != nil else {
        throw SwiftletError("--set: unknown config key '\(key)'\(suggestion(for: key))")
      }
      values[key] = ConfigValue(parsing: String(override[override.index(after: equals)...]))
    }
    if let runDirectory { values["run.dir"] = .string(runDirectory) }
    return try RunConfig(values: values)
  }

  /// Builds from explicit values (missing keys take their defaults) and validates.
  public init(values given: [String: ConfigValue]) throws {
    try self.init(values: given, storedModel: nil, requireData: true)
  }

  /// - Parameters:
  ///   - storedModel: the model shape when it is already resolved (a stored config whose
  ///     `model.init_from` source may no longer exist); nil resolves it from the keys.
  ///   - requireData: whether `data.train` must be set (not for stored or imported configs).
  init(values given: [String: ConfigValue], storedModel: GPTConfig?, requireData: Bool) throws {
    var values: [String: ConfigValue] = [:]
    for key in ConfigSchema.keys {
      let value = given[key.name] ?? key.defaultValue
      values[key.name] = try RunConfig.coerce(value, to: key)
    }
    for name in given.keys where ConfigSchema.byName[name] == nil {
      throw SwiftletError("unknown config key '\(name)'\(RunConfig.suggestion(for: name))")
    }
    self.values = values
    model = try storedModel ?? RunConfig.resolveModel(values)
    try validate(requireData: requireData)
  }

  /// The configuration stored in a checkpoint made by `swiftlet import`: defaults, the source
  /// as `model.init_from`, and its model shape.
  public static func imported(model: GPTConfig, source: String) throws -> RunConfig {
    try RunConfig(values: ["model.init_from": .string(source)], storedModel: model, requireData: false)
  }

  /// Parses a TOML document into flat `section.key` values; rejects unknown keys and nested
  /// tables Swiftlet does not define.
  static func parseTOML(_ text: String, source: String) throws -> [String: ConfigValue] {
    try TOMLPreflight.check(text, source: source)
    let table: TOMLTable
    do {
      table = try TOMLTable(string: text)
    } catch let error as TOMLParseError {
      throw SwiftletError("\(source): invalid TOML at line \(error.source.begin.line): \(error.description)")
    } catch {
      throw SwiftletError("\(source): invalid TOML: \(error)")
    }
    var values: [String: ConfigValue] = [:]
    for section in table.keys {
      guard let sectionTable = table[section]?.table else {
        throw SwiftletError("\(source): top-level key '\(section)' must be a [section] table")
      }
      for key in sectionTable.keys {
        let name = "\(section).\(key)"
        guard ConfigSchema.byName[name] != nil else {
          throw SwiftletError("\(source): unknown config key '\(name)'\(suggestion(for: name))")
        }
        let node = sectionTable[key]!
        if let v = node.bool {
          values[name] = .bool(v)
        } else if let v = node.int {
          values[name] = .int(v)
        } else if let v = node.double {
          values[name] = .double(v)
        } else if let v = node.string {
          values[name] = .string(v)
        } else {
          throw SwiftletError("\(source): '\(name)' must be a number, boolean or string")
        }
      }
    }
    return values
  }

  static func coerce(_ value: ConfigValue, to key: ConfigSchema.Key) throws -> ConfigValue {
    switch (key.kind, value) {
    case (.int, .int), (.double, .double), (.bool, .bool), (.string, .string): return value
    case (.double, .int(let v)): return .double(Double(v))
    case (.int, .double(let v)) where v == v.rounded() && abs(v) < 9e15: return .int(Int(v))
    case (.string, .int(let v)): return .string(String(v))
    case (.string, .double(let v)): return .string(String(v))
    case (.string, .bool(let v)): return .string(String(v))
    default:
      throw SwiftletError(
        "config key '\(key.name)' must be \(key.kind == .int ? "an integer" : key.kind == .double ? "a number" : key.kind == .bool ? "true or false" : "a string"), got \(value)"
      )
    }
  }

  static func suggestion(for name: String) -> String {
    let leaf = name.split(separator: ".").last.map(String.init) ?? name
    let close = ConfigSchema.keys.map(\.name).filter { $0.hasSuffix("." + leaf) }
    return close.isEmpty ? "" : " (did you mean \(close.joined(separator: " or "))?)"
  }

  static func resolveModel(_ values: [String: ConfigValue]) throws -> GPTConfig {
    let source = values["model.init_from"]!.stringValue
    if !source.isEmpty { return try InitialWeights.modelShape(source: source, keys: values) }
    let preset = values["model.preset"]!.stringValue
    var config: GPTConfig
    if preset.isEmpty {
      config = GPTConfig(nLayer: 0, nHead: 0, dModel: 0, nCtx: 0, vocabSize: 0)
    } else {
      config = try GPTConfig.preset(named: preset)
    }
    func take(_ key: String, _ apply: (inout GPTConfig, Int) -> Void) {
      let v = values[key]!.intValue
      if v != 0 { apply(&config, v) }
    }
    take("model.n_layer") { $0.nLayer = $1 }
    take("model.n_head") { $0.nHead = $1 }
    take("model.d_model") { c, v in
      c.dModel = v
      c.ffnDim = 4 * v
    }
    take("model.n_ctx") { $0.nCtx = $1 }
    take("model.vocab_size") { $0.vocabSize = $1 }
    take("model.word_embed_proj_dim") { c, v in c.wordEmbedProjDim = v }
    if config.wordEmbedProjDim == config.dModel { config.wordEmbedProjDim = nil }  // one spelling of "no projection"
    if preset.isEmpty
      && (config.nLayer == 0 || config.nHead == 0 || config.dModel == 0 || config.nCtx == 0 || config.vocabSize == 0)
    {
      throw SwiftletError("the model needs model.preset or all of n_layer, n_head, d_model, n_ctx, vocab_size")
    }
    try config.validate()
    return config
  }

  func validate(requireData: Bool) throws {
    func positive(_ key: String) throws {
      if int(key) <= 0 { throw SwiftletError("\(key) must be positive, got \(int(key))") }
    }
    func nonNegative(_ key: String) throws {
      if int(key) < 0 { throw SwiftletError("\(key) must not be negative, got \(int(key))") }
    }
    try positive("train.batch_size")
    try positive("train.grad_accum")
    try positive("train.max_steps")
    try positive("parallel.tp")
    try positive("parallel.pp")
    try nonNegative("parallel.microbatches")
    if int("parallel.microbatches") > 0 && int("train.grad_accum") > 1
      && int("parallel.microbatches") != int("train.grad_accum")
    {
      throw SwiftletError(
        "parallel.microbatches (\(int("parallel.microbatches"))) and train.grad_accum (\(int("train.grad_accum"))) both "
          + "split the batch into micro-steps; set only one of them")
    }
    if model.nLayer % pipelineParallel != 0 {
      throw SwiftletError(
        "model.n_layer (\(model.nLayer)) is not divisible into \(pipelineParallel) pipeline stages; "
          + "choose parallel.pp among the divisors of \(model.nLayer)")
    }
    if ![0, 1, 2].contains(int("parallel.zero")) {
      throw SwiftletError(
        "parallel.zero must be 0 (off), 1 (shard the optimizer state over data-parallel ranks) or 2 (also the gradients), got \(int("parallel.zero"))"
      )
    }
    try positive("checkpoint.keep")
    try positive("train.eval_batches")
    try positive("train.max_nonfinite")
    for key in [
      "train.warmup_steps", "train.eval_every", "checkpoint.every", "train.log_every", "train.threads", "train.seed",
    ] {
      try nonNegative(key)
    }
    if seqLen < 1 || seqLen > model.nCtx {
      throw SwiftletError("train.seq_len (\(seqLen)) must be between 1 and model.n_ctx (\(model.nCtx))")
    }
    for key in [
      "train.lr", "train.min_lr", "train.weight_decay", "train.grad_clip", "train.eps", "accounting.grid_intensity",
      "accounting.price_per_device_hour", "accounting.target_tokens",
    ] {
      let v = double(key)
      if !v.isFinite || v < 0 { throw SwiftletError("\(key) must be a finite non-negative number, got \(v)") }
    }
    if double("train.min_lr") > double("train.lr") {
      throw SwiftletError("train.min_lr (\(double("train.min_lr"))) must not exceed train.lr (\(double("train.lr")))")
    }
    for key in ["train.beta1", "train.beta2"] where !(0..<1).contains(double(key)) {
      throw SwiftletError("\(key) must be in [0, 1), got \(double(key))")
    }
    if !(double("accounting.pue") >= 1) {
      throw SwiftletError("accounting.pue must be at least 1.0, got \(double("accounting.pue"))")
    }
    try validateCarbonKeys()
    if !["adamw", "adafactor"].contains(string("train.optimizer")) {
      throw SwiftletError("train.optimizer '\(string("train.optimizer"))' is not supported (use adamw or adafactor)")
    }
    if !(0..<1).contains(double("train.adafactor_beta1")) {
      throw SwiftletError("train.adafactor_beta1 must be in [0, 1), got \(double("train.adafactor_beta1"))")
    }
    if !["halt", "skip"].contains(string("train.on_nonfinite")) {
      throw SwiftletError("train.on_nonfinite must be halt or skip, got '\(string("train.on_nonfinite"))'")
    }
    if !["stop", "continue"].contains(string("checkpoint.on_error")) {
      throw SwiftletError("checkpoint.on_error must be stop or continue, got '\(string("checkpoint.on_error"))'")
    }
    let resume = string("checkpoint.resume")
    if resume.isEmpty { throw SwiftletError("checkpoint.resume must be auto, never or a checkpoint path") }
    if requireData && string("data.train").isEmpty {
      throw SwiftletError("data.train is not set: give the training token shards (run `swiftlet prepare` to make them)")
    }
    if string("run.dir").isEmpty { throw SwiftletError("run.dir must not be empty") }
  }

  // Typed accessors.
  public func int(_ key: String) -> Int { values[key]!.intValue }
  public func double(_ key: String) -> Double { values[key]!.doubleValue }
  public func bool(_ key: String) -> Bool { values[key]!.boolValue }
  public func string(_ key: String) -> String { values[key]!.stringValue }

  public var seqLen: Int { int("train.seq_len") == 0 ? model.nCtx : int("train.seq_len") }
  public var batchSize: Int { int("train.batch_size") }
  /// Micro-steps per optimizer step: `parallel.microbatches` when set, else `train.grad_accum`.
  public var gradAccum: Int {
    let microbatches = int("parallel.microbatches")
    return microbatches > 0 ? microbatches : int("train.grad_accum")
  }
  /// Pipeline-parallel stages.
  public var pipelineParallel: Int { int("parallel.pp") }
  public var maxSteps: Int { int("train.max_steps") }
  public var tensorParallel: Int { int("parallel.tp") }
  public var runDirectory: String { string("run.dir") }
  public var seed: UInt64 { UInt64(int("train.seed")) }
  /// Tokens consumed per optimizer step over all ranks.
  public var tokensPerStep: Int { batchSize * seqLen }

  /// Checks the batch splits evenly over data-parallel ranks and micro-steps.
  public func validateLayout(dataParallel dp: Int) throws {
    if batchSize % (dp * gradAccum) != 0 {
      let what = int("parallel.microbatches") > 0 ? "parallel.microbatches" : "grad_accum"
      throw SwiftletError(
        "train.batch_size (\(batchSize)) must be divisible by data-parallel size (\(dp)) × \(what) (\(gradAccum))")
    }
  }

  /// The resolved configuration as JSON text (`StoredRunConfig`): stored in checkpoints and
  /// broadcast by rank 0. `train.seq_len` is the resolved one.
  public var json: String {
    var stored = values
    stored["train.seq_len"] = .int(seqLen)
    // Config values are finite numbers, strings and booleans: encoding cannot fail.
    let data = try! RunFileJSON.document(StoredRunConfig(values: stored, model: StoredModelConfig(model)))
    return String(decoding: data, as: UTF8.self)
  }

  /// Parses `json` produced by `json` (the checkpoint's or rank 0's broadcast).
  public static func fromJSON(_ text: String) throws -> RunConfig {
    guard let stored = try? JSONDecoder().decode(StoredRunConfig.self, from: Data(text.utf8)) else {
      throw SwiftletError("stored config is not valid JSON")
    }
    // A stored config was validated when written; with model.init_from its shape is the one
    // resolved then (the source need not exist any more).
    var storedModel: GPTConfig?
    if case .string(let source)? = stored.values["model.init_from"], !source.isEmpty {
      guard let model = stored.model else { throw SwiftletError("the checkpoint's config has no 'model' object") }
      storedModel = try model.resolved()
    }
    return try RunConfig(values: stored.values, storedModel: storedModel, requireData: false)
  }
}

extension ConfigValue {
  var intValue: Int {
    if case .int(let v) = self { return v }
    preconditionFailure("not an int: \(self)")
  }
  var doubleValue: Double {
    if case .double(let v) = self { return v }
    if case .int(let v) = self { return Double(v) }
    preconditionFailure("not a double: \(self)")
  }
  var boolValue: Bool {
    if case .bool(let v) = self { return v }
    preconditionFailure("not a bool: \(self)")
  }
  var stringValue: String {
    if case .string(let v) = self { return v }
    preconditionFailure("not a string: \(self)")
  }
}
