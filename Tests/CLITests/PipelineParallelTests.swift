import Checkpointing
import Foundation
import TestSupport
import Testing

/// Pipeline parallelism under real `mpirun`: every (np, tp, pp) layout trains a 4-layer GPT-2
/// with 4 micro-batches like one rank does, checkpoints move between pipeline and other layouts,
/// and impossible layouts are refused before any work.
///
/// Tolerances (docs/testing.md): a layout changes only the order of float32 sums (micro-batch
/// gradient accumulation, the data-parallel sums, the tied embedding's two halves added across
/// stages), so losses agree to rounding (≤ 1e-5 relative). An Adam step divides by √v̂, so an
/// element whose gradient is at rounding level may move by up to lr·Uₜ (Uₜ ≤ 1.24) per step either
/// way: every weight must be within Σₜ 2·lr·Uₜ; the well-determined bulk (99.9%) within 1e-4.
/// The bulk leaves out the QKV bias (`c_attn.bias`): its key part has an exactly zero gradient
/// (adding one vector to every key shifts each query's scores by a constant, which softmax
/// ignores), so it holds rounding noise that Adam and Adafactor normalise into full steps.
@Suite(.serialized)
struct PipelineParallelTests {
  let data: String
  let configPath: String
  static let steps = 10
  static let learningRate = 1e-3
  /// Σₜ 2·lr·Uₜ over the run, with U ≤ 1.24.
  static let everyWeightBound = Float(Double(steps) * 2 * learningRate * 1.24)

  init() throws {
    data = try Harness.temporaryDirectory("pp-data")
    try Harness.makeShards(in: data)
    configPath = data + "/config.toml"
    try TinyModel.config(data: data, runDirectory: data + "/unused")
      .replacingOccurrences(of: "n_layer = 2", with: "n_layer = 4")
      .write(toFile: configPath, atomically: true, encoding: .utf8)
  }

  func train(_ run: String, ranks: Int = 1, tp: Int = 1, pp: Int = 1, extra: [String] = []) throws -> Harness.Result {
    var arguments = ["train", "--config", configPath, "--run-dir", run, "--tp", "\(tp)"]
    if pp > 1 { arguments += ["--pp", "\(pp)", "--microbatches", "4"] }
    let result = try Harness.run(arguments + extra, ranks: ranks)
    #expect(result.status == 0, "train np \(ranks) tp \(tp) pp \(pp) \(extra): \(result.stderr)")
    return result
  }

  /// Asserts that `run` trained like `reference`: losses, evaluations and final weights.
  func expectSameTraining(_ run: String, as reference: String, _ what: String) throws {
    let expected = try Harness.trainRecords(reference).map { $0["loss"] as! Double }
    let losses = try Harness.trainRecords(run).map { $0["loss"] as! Double }
    #expect(losses.count == Self.steps && expected.count == Self.steps, "\(what): \(losses.count) steps logged")
    var worst = 0.0
    for (a, b) in zip(losses, expected) { worst = max(worst, abs(a - b) / abs(b)) }
    let evals = try Harness.records(run).filter { $0["kind"] as? String == "eval" }.map { $0["val_loss"] as! Double }
    let expectedEvals = try Harness.records(reference).filter { $0["kind"] as? String == "eval" }
      .map { $0["val_loss"] as! Double }
    #expect(evals.count == 2 && evals.count == expectedEvals.count, "\(what): evaluations at steps 5 and 10")
    for (a, b) in zip(evals, expectedEvals) { worst = max(worst, abs(a - b) / abs(b)) }
    let (left, right) = (
      CheckpointComparison.finalCheckpoint(reference, step: Self.steps),
      CheckpointComparison.finalCheckpoint(run, step: Self.steps)
    )
    let differences = try CheckpointComparison.modelDifferences(left, right) { !$0.hasSuffix("c_attn.bias") }
    let within = Double(differences.filter { $0 <= 1e-4 }.count) / Double(differences.count)
    let largest = try CheckpointComparison.modelDifferences(left, right).max() ?? .infinity
    print(
      "\(what): worst relative loss difference \(worst), \(100 * within)% of \(differences.count) weights within 1e-4, largest \(largest)"
    )
    #expect(worst <= 1e-5, "\(what): worst relative loss difference \(worst)")
    #expect(differences.count > 10_000, "\(what): compared \(differences.count) weights")
    #expect(within >= 0.999, "\(what): only \(within) of the weights within 1e-4")
    #expect(largest <= Self.everyWeightBound, "\(what): a weight differs by \(largest)")
  }

  @Test func everyPipelineLayoutTrainsLikeOneRank() throws {
    let single = try Harness.temporaryDirectory("pp-single")
    _ = try train(single)
    for (ranks, tp, pp) in [(2, 1, 2), (4, 1, 4), (4, 2, 2), (4, 1, 2)] {
      let run = try Harness.temporaryDirectory("pp-\(ranks)-\(tp)-\(pp)")
      let result = try train(run, ranks: ranks, tp: tp, pp: pp)
      #expect(result.stdout.contains("pp \(pp), 4 micro-batches"), "\(result.stdout)")
      try expectSameTraining(run, as: single, "np \(ranks) tp \(tp) pp \(pp)")
      let checkpoint = try CheckpointReader(path: CheckpointComparison.finalCheckpoint(run, step: Self.steps))
      #expect(try checkpoint.state().strings["written_by_layout"]?.contains("pp=\(pp)") == true)
    }
  }

  @Test func pipelineCheckpointResumesOnOneRankAndTensorParallelOneOnAPipeline() throws {
    let single = try Harness.temporaryDirectory("pp-resume-single")
    _ = try train(single)

    let fromPipeline = try Harness.temporaryDirectory("pp-resume-from-pp")
    _ = try train(fromPipeline, ranks: 2, pp: 2, extra: ["--stop-at-step", "5"])
    let onOne = try train(fromPipeline)
    #expect(onOne.stdout.contains("written by dp=1,tp=1,pp=2"), "\(onOne.stdout)")
    try expectSameTraining(fromPipeline, as: single, "pp 2 → 1 rank")

    let toPipeline = try Harness.temporaryDirectory("pp-resume-to-pp")
    _ = try train(toPipeline, ranks: 2, tp: 2, extra: ["--stop-at-step", "5"])
    let onPipeline = try train(toPipeline, ranks: 4, tp: 2, pp: 2)
    #expect(onPipeline.stdout.contains("written by dp=1,tp=2"), "\(onPipeline.stdout)")
    try expectSameTraining(toPipeline, as: single, "tp 2 → tp 2 × pp 2")
  }

  @Test func adafactorWithRecomputationAndZeROTrainsLikeOneRank() throws {
    let options = ["--set", "train.optimizer=adafactor", "--set", "train.recompute=true"]
    let single = try Harness.temporaryDirectory("pp-adafactor-single")
    _ = try train(single, extra: options)
    let run = try Harness.temporaryDirectory("pp-adafactor")
    let result = try train(run, ranks: 4, pp: 2, extra: options)
    #expect(result.stdout.contains("ZeRO-1"), "dp 2 shards the optimizer state: \(result.stdout)")
    try expectSameTraining(run, as: single, "adafactor + recompute, dp 2 × pp 2")
  }

  @Test func aNonFiniteGradientOnTheLastStageSkipsTheStepOnEveryStage() throws {
    let run = try Harness.temporaryDirectory("pp-nan")
    let result = try train(
      run, ranks: 2, pp: 2,
      extra: [
        "--set", "train.on_nonfinite=skip", "--set", "debug.inject_nan_step=3", "--set", "debug.inject_nan_rank=1",
      ])
    #expect(result.stderr.contains("update skipped"), "\(result.stderr)")
    let records = try Harness.trainRecords(run)
    #expect(records.count == Self.steps)
    let report =
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/report.json")))
      as! [String: Any]
    #expect(report["skipped_nonfinite_steps"] as? Int == 1)
    #expect(report["pp"] as? Int == 2)
  }

  @Test(arguments: [
    (ranks: 2, options: ["--pp", "3"], message: "not divisible into 3 pipeline stages"),
    (ranks: 2, options: ["--pp", "2", "--microbatches", "3"], message: "must be divisible by"),
    (ranks: 2, options: ["--pp", "4"], message: "not divisible by tp × pp"),
    (ranks: 2, options: ["--pp", "0"], message: "parallel.pp must be positive"),
  ])
  func impossiblePipelineLayoutsAreOneLineErrors(ranks: Int, options: [String], message: String) throws {
    let run = try Harness.temporaryDirectory("pp-bad")
    try? FileManager.default.removeItem(atPath: run)
    let result = try Harness.run(["train", "--config", configPath, "--run-dir", run] + options, ranks: ranks)
    #expect(result.status != 0)
    let lines = result.stderr.split(separator: "\n").filter { $0.contains("error") }
    #expect(lines.count == 1 && lines[0].contains(message), "\(options): \(result.stderr)")
    #expect(!result.stderr.contains("Fatal error") && !result.stderr.contains("Stack dump"))
    #expect(!FileManager.default.fileExists(atPath: run + "/checkpoints"), "no work before the error")
  }
}

extension PipelineParallelTests {
  /// A stopped stage leaves its neighbour waiting, in a point-to-point transfer or a collective:
  /// the watchdog names the wait and takes the job down within the timeout.
  @Test func aStoppedStageMakesTheJobAbortWithinTheTimeout() throws {
    let run = try Harness.temporaryDirectory("pp-sigstop")
    let log = run + ".log"
    let timeout = 6.0
    let process = try Harness.spawn(
      [
        "mpirun", "--oversubscribe", "--bind-to", "none", "-np", "2", Harness.executable, "train", "--config",
        configPath,
        "--run-dir", run, "--pp", "2", "--microbatches", "4", "--set", "train.max_steps=100000",
        "--set", "parallel.collective_timeout=\(timeout)", "--set", "checkpoint.every=0", "--set", "train.eval_every=0",
        "--set", "train.log_every=1",
      ],
      log: log)
    guard let victim = Harness.stopLastRank(of: process, run: run, ranks: 2) else { return }
    let stoppedAt = Date()
    Harness.waitForExit(process, seconds: timeout * 3 + 10, "the pipeline job with a stopped stage")
    let elapsed = Date().timeIntervalSince(stoppedAt)
    kill(victim, SIGKILL)
    let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
    print("SIGSTOP of the last stage: job aborted after \(String(format: "%.1f", elapsed)) s (timeout \(timeout) s)")
    #expect(process.terminationStatus != 0)
    #expect(elapsed <= timeout * 1.1 + 2.0, "abort took \(elapsed) s for a \(timeout) s timeout")
    // The neighbour may be waiting in a pipeline transfer ("MPI_Wait (pipeline receive)") or in
    // a step-level collective, depending on the moment of the stop: either is named.
    #expect(output.contains("has not completed after"), "the watchdog names the wait:\n\(output.suffix(2000))")
  }
}
