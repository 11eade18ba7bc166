import Foundation
import TestSupport
import Testing

/// Real `mpirun` runs with `train.recompute = true` against the same layout without it: the
/// recomputed forward repeats the tensor-parallel collectives in the same order on every rank,
/// so losses, evaluations and the final checkpoint (weights and AdamW moments) are bit-identical.
@Suite(.serialized)
struct RecomputeEquivalenceTests {
  @Test(arguments: [(ranks: 2, tp: 2), (ranks: 2, tp: 1)])
  func recomputationChangesNothing(layout: (ranks: Int, tp: Int)) throws {
    let data = try Harness.temporaryDirectory("recompute-data-\(layout.tp)")
    try Harness.makeShards(in: data)
    let configPath = data + "/config.toml"
    try TinyModel.config(data: data, runDirectory: data + "/unused")
      .write(toFile: configPath, atomically: true, encoding: .utf8)
    var runs: [String] = []
    for recompute in [false, true] {
      let run = try Harness.temporaryDirectory("recompute-\(layout.ranks)-\(layout.tp)-\(recompute)")
      let result = try Harness.run(
        [
          "train", "--config", configPath, "--tp", "\(layout.tp)", "--run-dir", run,
          "--set", "train.recompute=\(recompute)",
        ], ranks: layout.ranks)
      #expect(result.status == 0, "np \(layout.ranks) tp \(layout.tp) recompute \(recompute): \(result.stderr)")
      runs.append(run)
    }
    let losses = try runs.map { try Harness.trainRecords($0).map { $0["loss"] as! Double } }
    let evals = try runs.map {
      try Harness.records($0).filter { $0["kind"] as? String == "eval" }.map { $0["val_loss"] as! Double }
    }
    #expect(losses[0].count == 10 && evals[0].count == 2)
    #expect(losses[0] == losses[1], "losses \(losses[0]) vs \(losses[1])")
    #expect(evals[0] == evals[1], "evaluations \(evals[0]) vs \(evals[1])")
    let checkpoints = try CheckpointComparison.compare(
      CheckpointComparison.finalCheckpoint(runs[0], step: 10), CheckpointComparison.finalCheckpoint(runs[1], step: 10))
    print(
      "recompute np=\(layout.ranks) tp=\(layout.tp): \(checkpoints.tensors) tensors, identical \(checkpoints.identical), "
        + "losses \(losses[0].first!) → \(losses[0].last!)")
    #expect(checkpoints.tensors > 20)
    #expect(checkpoints.identical)
  }
}
