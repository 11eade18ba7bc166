import Foundation
import Testing

/// Contract section 11 end to end: `swiftlet import`, `model.init_from`, eval/sample on a
/// folder, and the round trips, against transformers (Tests/Reference/make_import_fixtures.py).
@Suite(.serialized)
struct ImportTests {
  let out: String

  init() throws {
    out = try Harness.temporaryDirectory("import")
  }

  func importing(_ input: String, _ name: String) throws -> String {
    let output = out + "/" + name + ".h5"
    let result = try Harness.run(["import", "--input", input, "--output", output])
    #expect(result.status == 0, "import \(input): \(result.stderr)")
    return output
  }

  func evalLoss(_ checkpoint: String, data: String, ranks: Int? = nil, tp: Int = 1) throws -> Double? {
    let result = try Harness.run(
      [
        "eval", "--checkpoint", checkpoint, "--data", data, "--batch-size", "4", "--seq-len", "16", "--batches", "1",
        "--tp", "\(tp)", "--json",
      ], ranks: ranks)
    #expect(result.status == 0, "eval \(checkpoint): \(result.stderr)")
    let line = result.stdout.split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init) ?? "{}"
    let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
    return object?["val_loss"] as? Double
  }

  func expectClose(_ got: Double?, _ expected: Double, _ label: String) {
    guard let got else {
      Issue.record("\(label): no loss")
      return
    }
    let relative = abs(got - expected) / abs(expected)
    #expect(relative <= 1e-5, "\(label): \(got) vs transformers \(expected) (relative \(relative))")
  }

  @Test func everyFolderAndTheLlmcFileImportBitExact() throws {
    guard let fixtures = try ImportFixtures.folder() else { return }
    for name in ["gpt2_f32", "gpt2_f16", "gpt2_bf16", "gpt2_sharded", "opt_f32"] {
      let checkpoint = try importing(fixtures + "/" + name, name)
      try ImportFixtures.check(["compare", "--checkpoint", checkpoint, "--folder", fixtures + "/" + name])
    }
    // The llm.c file was written from gpt2_f32: transposed back and unpadded, it is the same model.
    let llmc = try importing(fixtures + "/gpt2.llmc.bin", "llmc")
    try ImportFixtures.check(["compare", "--checkpoint", llmc, "--folder", fixtures + "/gpt2_f32"])
    // Version 2 (bfloat16) holds the values torch's bfloat16 rounding gives, as gpt2_bf16 does.
    let llmcBF16 = try importing(fixtures + "/gpt2.llmc.bf16.bin", "llmc-bf16")
    try ImportFixtures.check(["compare", "--checkpoint", llmcBF16, "--folder", fixtures + "/gpt2_bf16"])
  }

  @Test func evalOfImportedModelsEqualsTransformersLoss() throws {
    guard let fixtures = try ImportFixtures.folder() else { return }
    let data = fixtures + "/tokens.bin"
    for name in ["gpt2_f32", "gpt2_bf16", "opt_f32"] {
      let checkpoint = try importing(fixtures + "/" + name, name)
      expectClose(try evalLoss(checkpoint, data: data), try ImportFixtures.referenceLoss(fixtures, name), name)
    }
    // A folder is accepted as --checkpoint directly, at tp = 2 too.
    expectClose(
      try evalLoss(fixtures + "/gpt2_f16", data: data, ranks: 2, tp: 2),
      try ImportFixtures.referenceLoss(fixtures, "gpt2_f16"), "gpt2_f16 folder at tp 2")
  }

  @Test func trainingFromInitFromAtTensorParallelTwoStartsAtTheImportedLoss() throws {
    guard let fixtures = try ImportFixtures.folder() else { return }
    for (name, source) in [("gpt2_f32", fixtures + "/gpt2_f32"), ("opt_f32", fixtures + "/opt_f32")] {
      let run = try Harness.temporaryDirectory("init-from-\(name)")
      let result = try Harness.run(
        [
          "train", "--tp", "2", "--run-dir", run, "--set", "model.init_from=\(source)",
          "--set", "data.train=\(fixtures)/tokens.bin", "--set", "train.batch_size=4", "--set", "train.seq_len=16",
          "--set", "train.max_steps=2", "--set", "train.threads=1",
        ], ranks: 2)
      #expect(result.status == 0, "train from \(name): \(result.stderr)")
      #expect(result.stdout.contains("initialised the weights from"), "\(result.stdout)")
      let first = try Harness.trainRecords(run).first?["loss"] as? Double
      expectClose(first, try ImportFixtures.referenceLoss(fixtures, name), "first loss from \(name)")
      let leftovers = try FileManager.default.contentsOfDirectory(atPath: run).filter { $0.hasPrefix("imported-") }
      #expect(leftovers.isEmpty, "temporary import left behind: \(leftovers)")
    }
  }

  @Test func initFromAnLlmcFileOrACheckpointAndAResumeTakesPrecedence() throws {
    guard let fixtures = try ImportFixtures.folder() else { return }
    let imported = try importing(fixtures + "/gpt2_f32", "for-init")
    for (label, source) in [("llmc", fixtures + "/gpt2.llmc.bin"), ("checkpoint", imported)] {
      let run = try Harness.temporaryDirectory("init-\(label)")
      func train(_ steps: Int, _ extra: [String] = []) throws -> Harness.Result {
        let result = try Harness.run(
          [
            "train", "--run-dir", run, "--set", "model.init_from=\(source)", "--set",
            "data.train=\(fixtures)/tokens.bin",
            "--set", "train.batch_size=4", "--set", "train.seq_len=16", "--set", "train.max_steps=\(steps)",
            "--set", "train.threads=1",
          ] + extra, ranks: 2)
        #expect(result.status == 0, "\(label): \(result.stderr)")
        return result
      }
      let first = try train(2, ["--stop-at-step", "1"])
      #expect(first.stdout.contains("initialised the weights from"), "\(first.stdout)")
      expectClose(
        try Harness.trainRecords(run).first?["loss"] as? Double, try ImportFixtures.referenceLoss(fixtures, "gpt2_f32"),
        "first loss from \(label) at dp 2")
      // Restarted, the run continues from its own checkpoint, not from the released weights.
      let second = try train(2)
      #expect(
        second.stdout.contains("resuming from") && !second.stdout.contains("initialised the weights"),
        "\(second.stdout)")
      #expect(try Harness.trainRecords(run).map { $0["step"] as! Int } == [1, 2])
    }
  }

  @Test func initFromRefusesConflictingShapeKeys() throws {
    guard let fixtures = try ImportFixtures.folder() else { return }
    let result = try Harness.run(
      [
        "train", "--run-dir", out + "/conflict", "--set", "model.init_from=\(fixtures)/gpt2_f32",
        "--set", "model.n_layer=3", "--set", "data.train=\(fixtures)/tokens.bin",
      ])
    #expect(result.status != 0)
    #expect(result.stderr.hasPrefix("error: model.n_layer = 3 conflicts with model.init_from"), "\(result.stderr)")
  }

  @Test func exportThenImportIsBitExact() throws {
    guard let fixtures = try ImportFixtures.folder() else { return }
    for name in ["gpt2_f32", "opt_f32"] {
      let first = try importing(fixtures + "/" + name, name + "-first")
      let exported = out + "/" + name + "-export"
      let export = try Harness.run(["export", "--checkpoint", first, "--output", exported])
      #expect(export.status == 0, "\(export.stderr)")
      let second = try importing(exported, name + "-second")
      try ImportFixtures.check(["compare", "--checkpoint", second, "--folder", fixtures + "/" + name])
      try ImportFixtures.check(["compare", "--checkpoint", first, "--folder", exported])
    }
  }

  @Test func llmcFileThroughCheckpointAndExportLoadsInTransformers() throws {
    guard let fixtures = try ImportFixtures.folder() else { return }
    let checkpoint = try importing(fixtures + "/gpt2.llmc.bin", "llmc")
    let exported = out + "/llmc-export"
    let export = try Harness.run(["export", "--checkpoint", checkpoint, "--output", exported])
    #expect(export.status == 0, "\(export.stderr)")
    try ImportFixtures.check(["logits", "--folder", exported, "--reference", fixtures + "/gpt2_f32"])
  }

  @Test func inspectShowsWhereTheWeightsCameFrom() throws {
    guard let fixtures = try ImportFixtures.folder() else { return }
    let checkpoint = try importing(fixtures + "/gpt2_bf16", "inspect")
    let result = try Harness.run(["inspect", checkpoint, "--json", "--verify"])
    #expect(result.status == 0, "\(result.stderr)")
    let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
    let origin = object?["imported_from"] as? String ?? ""
    #expect(origin.contains("GPT2LMHeadModel") && origin.contains("BF16"), "imported_from: \(origin)")
    #expect(object?["step"] as? Int == 0)
    let text = try Harness.run(["inspect", checkpoint])
    #expect(text.stdout.contains("imported    Hugging Face GPT2LMHeadModel folder"), "\(text.stdout)")
  }
}
