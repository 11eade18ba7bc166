import Foundation
import TestSupport
import Testing

/// ZeRO stage 2 (`parallel.zero = 2`) under real `mpirun`: releasing the gradients a rank does not
/// own changes no arithmetic, so training is bit-identical to ZeRO-1 — losses, weights and
/// optimizer state — with data parallelism alone and inside a pipeline (dp 2 × pp 2).
@Suite(.serialized)
struct ZeroStage2Tests {
  let configPath: String

  init() throws {
    let data = try Harness.temporaryDirectory("zero2-data")
    try Harness.makeShards(in: data)
    configPath = data + "/config.toml"
    try TinyModel.config(data: data, runDirectory: data + "/unused")
      .replacingOccurrences(of: "n_layer = 2", with: "n_layer = 4")
      .write(toFile: configPath, atomically: true, encoding: .utf8)
  }

  func train(zero: Int, ranks: Int, extra: [String]) throws -> (run: String, result: Harness.Result) {
    let run = try Harness.temporaryDirectory("zero\(zero)-\(ranks)-\(extra.count)")
    let result = try Harness.run(
      ["train", "--config", configPath, "--run-dir", run, "--set", "parallel.zero=\(zero)"] + extra, ranks: ranks)
    #expect(result.status == 0, "zero \(zero) np \(ranks) \(extra): \(result.stderr)")
    return (run, result)
  }

  @Test(arguments: [(ranks: 2, extra: [String]()), (ranks: 4, extra: ["--pp", "2", "--microbatches", "2"])])
  func zeroStage2IsBitIdenticalToStage1(ranks: Int, extra: [String]) throws {
    let stage1 = try train(zero: 1, ranks: ranks, extra: extra)
    let stage2 = try train(zero: 2, ranks: ranks, extra: extra)
    #expect(stage2.result.stdout.contains("ZeRO-2"), "\(stage2.result.stdout)")
    let a = try Harness.trainRecords(stage1.run).map { $0["loss"] as! Double }
    let b = try Harness.trainRecords(stage2.run).map { $0["loss"] as! Double }
    #expect(a.count == 10 && a == b, "losses must be bit-identical: \(a) vs \(b)")
    let norms = try Harness.trainRecords(stage1.run).map { $0["grad_norm"] as! Double }
    #expect(try Harness.trainRecords(stage2.run).map { $0["grad_norm"] as! Double } == norms)
    let weights = try CheckpointComparison.compare(
      CheckpointComparison.finalCheckpoint(stage1.run, step: 10),
      CheckpointComparison.finalCheckpoint(stage2.run, step: 10))
    #expect(weights.tensors > 20 && weights.identical, "weights and optimizer state differ by \(weights.maxDifference)")
  }
}
