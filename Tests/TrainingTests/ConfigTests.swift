import Foundation
import SwiftletCore
import Testing

@testable import Training

struct ConfigTests {
  func write(_ text: String) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("cfg-\(UUID().uuidString).toml").path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  @Test func presetFieldsCanBeOverriddenByExplicitKeysAndSet() throws {
    let path = try write(
      "[model]\npreset = \"gpt2-124M\"\nn_layer = 2\n[data]\ntrain = \"x.bin\"\n[train]\nseq_len = 64\n")
    let config = try RunConfig.load(path: path, overrides: ["model.n_head=4", "train.lr=3e-4", "parallel.tp=2"])
    #expect(config.model.nLayer == 2)
    #expect(config.model.nHead == 4)
    #expect(config.model.dModel == 768)
    #expect(config.model.vocabSize == 50257)
    #expect(config.train.lr == 3e-4)
    #expect(config.parallel.tp == 2)
    #expect(config.seqLen == 64)
  }

  @Test func resolvedJSONRoundTripsToTheSameConfig() throws {
    let config = try RunConfig.load(
      path: nil, overrides: ["model.preset=gpt2-124M", "data.train=a.bin", "train.lr=1e-3"])
    let again = try RunConfig.fromJSON(config.json)
    #expect(again.json == config.json)
    #expect(again.model == config.model)
    #expect(again.train.lr == 1e-3)
  }

  @Test func rejectsBadValues() throws {
    #expect(throws: SwiftletError.self) {
      try RunConfig.load(
        path: nil, overrides: ["model.preset=gpt2-124M", "data.train=a", "train.min_lr=1", "train.lr=0.1"])
    }
    #expect(throws: SwiftletError.self) {
      try RunConfig.load(path: nil, overrides: ["model.preset=gpt2-124M", "data.train=a", "train.optimizer=sgd"])
    }
    #expect(throws: SwiftletError.self) {
      try RunConfig.load(path: nil, overrides: ["model.preset=gpt2-124M", "data.train=a", "accounting.pue=0.5"])
    }
    // No data.train:
    #expect(throws: SwiftletError.self) { try RunConfig.load(path: nil, overrides: ["model.preset=gpt2-124M"]) }
    #expect(throws: SwiftletError.self) {
      try RunConfig.load(path: nil, overrides: ["model.preset=gpt2-124M", "data.train=a", "train.seq_len=2048"])
    }
  }

  @Test func overrideValuesParseAsTomlScalars() {
    #expect(ConfigValue(parsing: "12") == .int(12))
    #expect(ConfigValue(parsing: "3e-4") == .double(3e-4))
    #expect(ConfigValue(parsing: "true") == .bool(true))
    #expect(ConfigValue(parsing: "\"a b\"") == .string("a b"))
    #expect(ConfigValue(parsing: "runs/x") == .string("runs/x"))
  }
}

struct ScheduleTests {
  @Test func warmupThenCosineToMinimum() {
    let s = LearningRateSchedule(peak: 1e-3, minimum: 1e-4, warmupSteps: 10, totalSteps: 110)
    #expect(abs(s.rate(atStep: 0) - 1e-4) < 1e-15)
    #expect(abs(s.rate(atStep: 9) - 1e-3) < 1e-15)
    #expect(abs(s.rate(atStep: 10) - 1e-3) < 1e-15)
    #expect(abs(s.rate(atStep: 60) - 5.5e-4) < 1e-12)  // half-way: mean of peak and minimum
    #expect(abs(s.rate(atStep: 110) - 1e-4) < 1e-15)
    for step in 10..<109 { #expect(s.rate(atStep: step + 1) <= s.rate(atStep: step)) }
  }

  @Test func constantWhenNoWarmupAndMinEqualsPeak() {
    let s = LearningRateSchedule(peak: 3e-4, minimum: 3e-4, warmupSteps: 0, totalSteps: 50)
    for step in 0..<50 { #expect(s.rate(atStep: step) == 3e-4) }
  }
}

struct PartitionTests {
  @Test func ranksCoverTheGlobalBatchExactlyOnce() {
    for (dp, ga) in [(1, 1), (2, 1), (2, 2), (4, 2)] {
      var seen: [Int] = []
      for rank in 0..<dp {
        let p = BatchPartition(globalBatch: 16, gradAccum: ga, dpRank: rank, dpSize: dp)
        for micro in 0..<ga {
          seen += (0..<p.localBatch).map { p.firstSequence(micro: micro) + $0 }
        }
      }
      #expect(seen.sorted() == Array(0..<16), "dp \(dp) ga \(ga)")
    }
  }
}

struct ShippedConfigTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  @Test func everyShippedConfigParses() throws {
    var paths: [String] = []
    for folder in ["configs", "configs/plans"] {
      let directory = Self.root.appendingPathComponent(folder).path
      for name in try FileManager.default.contentsOfDirectory(atPath: directory) where name.hasSuffix(".toml") {
        paths.append(directory + "/" + name)
      }
    }
    #expect(paths.count >= 20)
    for path in paths {
      let config = try RunConfig.load(path: path, overrides: [])
      #expect(config.model.parameterCount > 0, "\(path)")
    }
  }
}

struct ConfigurationDocTests {
  /// Each key's row in docs/configuration.md gives the schema's type and default.
  @Test func everyKeyIsDocumentedWithItsTypeAndDefault() throws {
    let doc = try String(
      contentsOf: ShippedConfigTests.root.appendingPathComponent("docs/configuration.md"), encoding: .utf8)
    let rows = doc.split(separator: "\n").filter { $0.hasPrefix("| `") }
    #expect(rows.count == ConfigDocument.keys.count, "one row per key")
    for key in ConfigDocument.keys {
      guard let row = rows.first(where: { $0.hasPrefix("| `\(key.name)` |") }) else {
        Issue.record("docs/configuration.md lacks \(key.name)")
        continue
      }
      let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
      #expect(cells[1] == key.typeName, "\(key.name): documented type \(cells[1])")
      let documented = ConfigValue(parsing: cells[2].trimmingCharacters(in: CharacterSet(charactersIn: "`")))
      let matches =
        switch (documented, key.defaultValue) {
        case (.int(let a), .double(let b)): Double(a) == b
        default: documented == key.defaultValue
        }
      #expect(matches, "\(key.name): documented default \(cells[2]), schema \(key.defaultValue)")
    }
  }
}

struct TypedConfigTests {
  /// A non-default value for every key survives `--set`, the stored JSON and reading it back.
  @Test func everyKeyRoundTripsThroughTheStoredConfig() throws {
    // The intensity-series keys only make sense together with a real CSV file.
    let keptAtDefault: Set = [
      "data.train", "accounting.intensity_series", "accounting.clock_start", "accounting.pause_above",
    ]
    var overrides = ["model.preset=gpt2-124M", "data.train=a.bin"]
    for key in ConfigDocument.keys where !key.name.hasPrefix("model.") && !keptAtDefault.contains(key.name) {
      overrides.append("\(key.name)=\(Self.otherValue(for: key))")
    }
    let config = try RunConfig.load(path: nil, overrides: overrides)
    let again = try RunConfig.fromJSON(config.json)
    for key in ConfigDocument.keys where !key.name.hasPrefix("model.") {
      #expect(again.settings.value(of: key.name) == config.settings.value(of: key.name), "\(key.name)")
      #expect(
        config.settings.value(of: key.name) != key.defaultValue || keptAtDefault.contains(key.name), "\(key.name)")
    }
    #expect(again.train.optimizer == .adafactor)
    #expect(again.parallel.zero == .gradients)
  }

  /// A valid value other than the default, chosen so that the whole config still validates.
  static func otherValue(for key: ConfigDocument.Key) -> String {
    switch key.name {
    case "train.optimizer": "adafactor"
    case "train.on_nonfinite": "skip"
    case "checkpoint.on_error": "continue"
    case "parallel.zero": "2"
    case "train.seq_len": "64"
    case "train.batch_size", "train.grad_accum", "parallel.microbatches", "parallel.tp", "parallel.pp": "2"
    case "train.min_lr": "1e-5"
    case "train.adafactor_beta1", "train.beta1", "train.beta2": "0.5"
    case "accounting.pue": "1.5"
    case "checkpoint.resume": "never"
    default:
      switch key.defaultValue {
      case .int(let v): "\(v + 3)"
      case .double(let v): "\(v + 0.25)"
      case .bool(let v): "\(!v)"
      case .string(let v): "\"\(v)x\""
      }
    }
  }

  @Test func valuesOfTheWrongTypeNameTheKey() throws {
    let cases: [(String, String)] = [
      ("[train]\nlr = \"fast\"", "train.lr must be a number"),
      ("[train]\noptimizer = \"sgd\"", "train.optimizer must be adamw or adafactor"),
      ("[parallel]\nzero = 3", "parallel.zero must be 0, 1 or 2"),
      ("[train]\nrecompute = 1", "train.recompute must be true or false"),
      ("[train]\nbatch_size = 2.5", "train.batch_size must be an integer"),
      ("[train]\nlr = [1, 2]", "'train.lr' must be a number, boolean or string"),
      (
        "[accounting]\nclock_start = 2024-01-01T00:00:00Z",
        "'accounting.clock_start' must be a number, boolean or string"
      ),
    ]
    for (text, message) in cases {
      let path = try ConfigTests().write("[data]\ntrain = \"a\"\n[model]\npreset = \"gpt2-124M\"\n" + text)
      #expect(throws: SwiftletError.self) { try RunConfig.load(path: path, overrides: []) }
      do {
        _ = try RunConfig.load(path: path, overrides: [])
      } catch let error as SwiftletError {
        #expect(error.message.contains(message), "\(error.message)")
        #expect(error.message.hasPrefix(path), "names the file: \(error.message)")
      }
    }
  }

  @Test func wholeNumbersReadAsNumbersAndAsStrings() throws {
    let config = try RunConfig.load(
      path: nil, overrides: ["model.preset=gpt2-124M", "data.train=7", "train.lr=1", "train.batch_size=4.0"])
    #expect(config.data.train == "7")
    #expect(config.train.lr == 1)
    #expect(config.train.batchSize == 4)
  }

  /// A stored config from an older version, without later keys and with keys this version
  /// does not know, still reads; missing keys take their defaults.
  @Test func storedConfigsWithMissingOrUnknownKeysRead() throws {
    let text = """
      {"data":{"train":"x.bin"},"model":{"preset":"gpt2-124M","family":"gpt2","n_layer":12},
      "train":{"lr":0.001,"future_key":true},"telemetry":{"on":true}}
      """
    let config = try RunConfig.fromJSON(text)
    #expect(config.train.lr == 0.001)
    #expect(config.parallel.pp == 1)
    #expect(config.model.nLayer == 12)
  }
}
