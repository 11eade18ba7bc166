import Foundation
import SwiftletCore
import Testing
import Training

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
    #expect(config.double("train.lr") == 3e-4)
    #expect(config.tensorParallel == 2)
    #expect(config.seqLen == 64)
  }

  @Test func resolvedJSONRoundTripsToTheSameConfig() throws {
    let config = try RunConfig.load(
      path: nil, overrides: ["model.preset=gpt2-124M", "data.train=a.bin", "train.lr=1e-3"])
    let again = try RunConfig.fromJSON(config.json)
    #expect(again.json == config.json)
    #expect(again.model == config.model)
    #expect(again.double("train.lr") == 1e-3)
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
  @Test func everyKeyIsDocumentedWithItsDefault() throws {
    let doc = try String(
      contentsOf: ShippedConfigTests.root.appendingPathComponent("docs/configuration.md"), encoding: .utf8)
    for key in ConfigSchema.keys {
      #expect(doc.contains("| `\(key.name)` |"), "docs/configuration.md lacks \(key.name)")
    }
  }
}
