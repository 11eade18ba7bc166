import Foundation
import GPT
import MPIBindings
import Parallel
import TestSupport
import Testing
import Training

/// The logits of a model loaded straight from a Hugging Face folder equal transformers' on the
/// fixture batch (contract section 11), tensor position by position, like llm.c's test_gpt2.
///
/// Fixtures: `SWIFTLET_IMPORT_FIXTURES=DIR` (e.g. the 124M-shaped folder of
/// `make_import_fixtures.py make --size 124M`), else tiny ones made by that script now, which
/// needs python3 with torch and transformers (missing: skipped, or a failure under CI=true).
@Suite(.serialized)
struct ImportedLogitsTests {
  @Test func logitsOfAnImportedFolderMatchTransformers() throws {
    guard let fixtures = try Self.fixtures() else { return }
    let manifest =
      try JSONSerialization.jsonObject(
        with: Data(contentsOf: URL(fileURLWithPath: fixtures + "/reference.json"))) as! [String: Any]
    let batch = manifest["batch"] as! [String: Int]
    let (b, t) = (batch["B"]!, batch["T"]!)
    let shard = try Data(contentsOf: URL(fileURLWithPath: fixtures + "/tokens.bin"))
    let tokens: [Int32] = shard.dropFirst(1024).withUnsafeBytes { raw in
      (0..<(raw.count / 2)).map {
        Int32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self)))
      }
    }
    let inputs = (0..<b).flatMap { tokens[($0 * t)..<($0 * t + t)] }
    let targets = (0..<b).flatMap { tokens[($0 * t + 1)..<($0 * t + t + 1)] }
    let grid = try ProcessGrid(world: try MPIRuntime.initialise(), tensorParallelSize: 1)
    for name in ["gpt2_f32", "opt_f32"] where FileManager.default.fileExists(atPath: fixtures + "/" + name) {
      let (model, _, _) = try CheckpointModelLoader.load(path: fixtures + "/" + name, grid: grid)
      let lossSum = try model.forward(inputs: inputs, targets: targets, batch: b, seqLen: t)
      let entry = manifest[name] as! [String: Any]
      let expected = try Data(contentsOf: URL(fileURLWithPath: fixtures + "/" + (entry["logits"] as! String)))
        .withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
      let v = model.config.vocabSize
      let width = model.vocabShard.count
      let logits = model.lastLogits
      var worst: Float = 0
      for row in 0..<(b * t) {
        for column in 0..<v { worst = max(worst, abs(logits[row * width + column] - expected[row * v + column])) }
      }
      let loss = lossSum / Double(b * t)
      let reference = entry["loss"] as! Double
      print(
        "\(name): logits max|diff| \(worst), loss \(loss) vs transformers \(reference) (relative \(abs(loss - reference) / reference))"
      )
      #expect(worst <= 1e-5, "\(name): logits max|diff| \(worst)")
      #expect(abs(loss - reference) / reference <= 1e-5, "\(name): loss \(loss) vs \(reference)")
    }
  }

  static func fixtures() throws -> String? {
    if let given = ProcessInfo.processInfo.environment["SWIFTLET_IMPORT_FIXTURES"] { return given }
    guard let python = Python.with(["torch", "transformers"]) else {
      Prerequisite.missing("import fixtures need python3 with torch and transformers")
      return nil
    }
    let output = FileManager.default.temporaryDirectory.appendingPathComponent(
      "swiftlet-logits-\(UUID().uuidString.prefix(8))"
    ).path
    let made = try python.run(
      [PackagePaths.reference("make_import_fixtures.py"), "make", "--output", output],
      environment: ["HF_HUB_OFFLINE": "1", "TRANSFORMERS_VERBOSITY": "error"])
    guard made.status == 0 else {
      Issue.record("make_import_fixtures.py failed: \(made.output.suffix(1500))")
      return nil
    }
    return output
  }
}
