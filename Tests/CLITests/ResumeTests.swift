import Foundation
import TestSupport
import Testing

/// Stop-and-resume under real `mpirun` (issue 5 acceptance).
@Suite(.serialized)
struct ResumeTests {
  let data: String
  let configPath: String

  init() throws {
    (data, configPath) = try Harness.preparedData("resume") {
      TinyModel.config(data: $0, runDirectory: $0 + "/unused", extra: "[checkpoint]\nkeep = 2")
    }
  }

  func train(_ run: String, ranks: Int, tp: Int = 1, extra: [String] = []) throws -> Harness.Result {
    let result = try Harness.run(
      ["train", "--config", configPath, "--tp", "\(tp)", "--run-dir", run] + extra, ranks: ranks)
    #expect(result.status == 0, "train np \(ranks) tp \(tp) \(extra): \(result.stderr)")
    return result
  }

  @Test func stopAtFiveAndResumeToTenIsBitIdenticalToTheStraightRun() throws {
    let straight = try Harness.temporaryDirectory("straight")
    let resumed = try Harness.temporaryDirectory("resumed")
    _ = try train(straight, ranks: 2)
    let first = try train(resumed, ranks: 2, extra: ["--stop-at-step", "5"])
    #expect(first.stdout.contains("checkpoint step 5 saved"))
    #expect(try Harness.trainRecords(resumed).count == 5)
    let second = try train(resumed, ranks: 2)
    #expect(second.stdout.contains("resuming from"), "second run should resume: \(second.stdout)")

    let a = try Harness.trainRecords(straight).map { $0["loss"] as! Double }
    let b = try Harness.trainRecords(resumed).map { $0["loss"] as! Double }
    #expect(b.count == 10, "no step logged twice or lost")
    #expect(a == b, "losses must be bit-identical: \(a) vs \(b)")
    #expect(try Harness.trainRecords(resumed).map { $0["step"] as! Int } == Array(1...10))
    let weights = try CheckpointComparison.compare(
      CheckpointComparison.finalCheckpoint(straight, step: 10), CheckpointComparison.finalCheckpoint(resumed, step: 10))
    #expect(weights.identical, "weights and optimizer state must be bit-identical (max diff \(weights.maxDifference))")
  }

  @Test func checkpointFromTwoDataParallelRanksResumesOnTwoTensorParallelRanks() throws {
    let straight = try Harness.temporaryDirectory("straight-tp")
    let moved = try Harness.temporaryDirectory("moved")
    _ = try train(straight, ranks: 2)
    _ = try train(moved, ranks: 2, tp: 1, extra: ["--stop-at-step", "5"])
    let second = try train(moved, ranks: 2, tp: 2)
    #expect(second.stdout.contains("written by dp=2,tp=1"))
    let a = try Harness.trainRecords(straight).map { $0["loss"] as! Double }
    let b = try Harness.trainRecords(moved).map { $0["loss"] as! Double }
    #expect(a.count == b.count)
    var worst = 0.0
    for (x, y) in zip(a, b) { worst = max(worst, abs(x - y) / abs(x)) }
    #expect(worst <= 1e-5, "relative loss difference \(worst)")
    let weights = try CheckpointComparison.compare(
      CheckpointComparison.finalCheckpoint(straight, step: 10), CheckpointComparison.finalCheckpoint(moved, step: 10))
    print("resume dp=2,tp=1 → dp=1,tp=2: worst loss rel diff \(worst), worst |weight diff| \(weights.maxDifference)")
    #expect(weights.maxDifference <= 1e-5)
  }

  @Test func resumeRefusesACheckpointOfAnotherModelShape() throws {
    let run = try Harness.temporaryDirectory("shape")
    _ = try train(run, ranks: 1, extra: ["--stop-at-step", "2"])
    let result = try Harness.run(["train", "--config", configPath, "--run-dir", run, "--set", "model.n_layer=3"])
    #expect(result.status != 0)
    #expect(result.stderr.contains("error: ") && result.stderr.contains("another model"), "\(result.stderr)")
    #expect(
      FileManager.default.fileExists(atPath: CheckpointComparison.finalCheckpoint(run, step: 2)),
      "checkpoint left intact")
  }

  @Test func keepRetainsOnlyTheNewestCheckpoints() throws {
    let run = try Harness.temporaryDirectory("keep")
    _ = try train(run, ranks: 1, extra: ["--set", "checkpoint.every=2"])
    let files = try FileManager.default.contentsOfDirectory(atPath: run + "/checkpoints").filter { $0.hasSuffix(".h5") }
      .sorted()
    #expect(files == ["step_00000008.h5", "step_00000010.h5"], "\(files)")
  }
}
