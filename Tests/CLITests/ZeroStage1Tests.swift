import Foundation
import TestSupport
import Testing

/// ZeRO stage 1 (`parallel.zero = 1`) under real `mpirun`: sharding the optimizer state over the
/// data-parallel ranks must not change the training (losses within 1e-5 relative, weights and
/// optimizer state within 1e-5 absolute of the unsharded runs), and its checkpoints stay
/// layout-independent.
@Suite(.serialized)
struct ZeroStage1Tests {
  let data: String

  init() throws {
    data = try Harness.temporaryDirectory("zero1-data")
    try Harness.makeShards(in: data)
  }

  /// Writes a tiny config (with `train` lines added to `[train]` and `extra` TOML appended) and
  /// returns its path.
  func config(_ name: String, train: String = "", extra: String = "", vocab: Int = 67) throws -> String {
    let path = data + "/\(name).toml"
    try TinyModel.config(data: data, runDirectory: data + "/unused", extra: extra)
      .replacingOccurrences(of: "vocab_size = 67", with: "vocab_size = \(vocab)")
      .replacingOccurrences(of: "seed = 7", with: "seed = 7\n\(train)")
      .write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  @discardableResult
  func train(_ config: String, _ run: String, ranks: Int? = nil, tp: Int = 1, zero: Int = 0, extra: [String] = [])
    throws -> Harness.Result
  {
    let result = try Harness.run(
      ["train", "--config", config, "--tp", "\(tp)", "--run-dir", run, "--set", "parallel.zero=\(zero)"] + extra,
      ranks: ranks)
    #expect(result.status == 0, "train np \(ranks ?? 1) tp \(tp) zero \(zero) \(extra): \(result.stderr)")
    return result
  }

  func losses(_ run: String) throws -> [Double] {
    try Harness.trainRecords(run).map { $0["loss"] as! Double }
  }

  /// Worst relative loss difference and worst absolute weight difference of two 10-step runs
  /// (whose checkpoints must both hold every optimizer state tensor).
  func differences(_ a: String, _ b: String, skipping: (String) -> Bool = { _ in false }) throws -> (
    loss: Double, weights: Float
  ) {
    let (x, y) = (try losses(a), try losses(b))
    #expect(x.count == 10 && y.count == 10)
    var worst = 0.0
    for (p, q) in zip(x, y) { worst = max(worst, abs(p - q) / abs(p)) }
    let weights = try CheckpointComparison.compare(
      CheckpointComparison.finalCheckpoint(a, step: 10), CheckpointComparison.finalCheckpoint(b, step: 10),
      skipping: skipping)
    #expect(weights.tensors > 20)
    return (worst, weights.maxDifference)
  }

  @Test(arguments: ["adamw", "adafactor"])
  func shardedStateMatchesTheUnshardedRuns(optimizer: String) throws {
    // Adafactor with a first moment, so it too has a parameter-sized state to shard.
    let path = try config(
      "zero1-\(optimizer)", train: optimizer == "adafactor" ? "optimizer = \"adafactor\"\nadafactor_beta1 = 0.9" : "")
    let single = try Harness.temporaryDirectory("zero1-\(optimizer)-single")
    let replicated = try Harness.temporaryDirectory("zero1-\(optimizer)-dp2")
    let sharded = try Harness.temporaryDirectory("zero1-\(optimizer)-dp2-zero1")
    try train(path, single)
    try train(path, replicated, ranks: 2)
    let run = try train(path, sharded, ranks: 2, zero: 1)
    #expect(run.stdout.contains("checkpoint step 10 saved"))
    // Each of the two ranks keeps about half the state (whole tensors, so not exactly half).
    let announced = run.stdout.split(separator: "\n").first { $0.contains("ZeRO-1: optimizer state sharded") }
    #expect(announced != nil, "\(run.stdout)")
    if let announced {
      let share = announced.split(separator: " ").first { $0.hasSuffix("%") }.flatMap { Double($0.dropLast()) }
      #expect(share != nil && share! > 30 && share! < 70, "\(announced)")
    }
    var layouts = [("dp2 zero0", replicated), ("dp2 zero1", sharded)]
    if optimizer == "adamw" {
      let grid = try Harness.temporaryDirectory("zero1-dp2-tp2")
      try train(path, grid, ranks: 4, tp: 2, zero: 1)
      layouts.append(("dp2 tp2 zero1", grid))
    }
    // Adafactor and the QKV bias: the key bias's true gradient is exactly zero (softmax ignores
    // a constant shift per query), so what reaches the optimizer is rounding noise of ~1e-12,
    // which Adafactor's ε₁ = 1e-30 normalises to full-size updates, and through the RMS update
    // clipping that noise sets the scale of the whole tensor's update. Any change in summation
    // order (dp = 2 without ZeRO too) moves that tensor by ~1e-3; it is left out against the
    // single rank, and compared bit for bit between the sharded and unsharded dp = 2 runs.
    let noisy: (String) -> Bool = { optimizer == "adafactor" && $0.hasSuffix("attn.c_attn.bias") }
    for (name, run) in layouts {
      let d = try differences(single, run, skipping: noisy)
      print("zero1 \(optimizer) \(name) vs 1 rank: worst loss rel diff \(d.loss), worst |weight diff| \(d.weights)")
      #expect(d.loss <= 1e-5, "\(name): loss differs by \(d.loss)")
      #expect(d.weights <= 1e-5, "\(name): weights differ by \(d.weights)")
    }
    let d = try differences(replicated, sharded)
    let same = try CheckpointComparison.compare(
      CheckpointComparison.finalCheckpoint(replicated, step: 10),
      CheckpointComparison.finalCheckpoint(sharded, step: 10))
    print(
      "zero1 \(optimizer) dp2 zero1 vs dp2 zero0: worst loss rel diff \(d.loss), worst |weight diff| \(d.weights), bit-identical incl. optimizer state: \(same.identical)"
    )
    #expect(same.identical, "dp = 2 with and without ZeRO-1 sum in the same order: results must be bit-identical")
  }

  /// A vocabulary much larger than the tokens of a step takes the deferred sparse embedding
  /// gradient path (`GPTModel.finishBackward`): the owner of `wte` must still see every rank's rows.
  @Test func sparseEmbeddingGradientReachesTheOwner() throws {
    let path = try config("zero1-sparse", vocab: 512)
    let single = try Harness.temporaryDirectory("zero1-sparse-single")
    let sharded = try Harness.temporaryDirectory("zero1-sparse-dp2")
    try train(path, single)
    try train(path, sharded, ranks: 2, zero: 1)
    let d = try differences(single, sharded)
    print("zero1 sparse embedding path dp2 vs 1 rank: worst loss rel diff \(d.loss), worst |weight diff| \(d.weights)")
    #expect(d.loss <= 1e-5 && d.weights <= 1e-5)
  }

  @Test func resumingIsBitIdenticalAndCheckpointsMoveBetweenZeroAndLayouts() throws {
    let path = try config("zero1-resume", extra: "[checkpoint]\nkeep = 3")
    let straight = try Harness.temporaryDirectory("zero1-straight")
    let resumed = try Harness.temporaryDirectory("zero1-resumed")
    try train(path, straight, ranks: 2, zero: 1)
    let first = try train(path, resumed, ranks: 2, zero: 1, extra: ["--stop-at-step", "5"])
    #expect(first.stdout.contains("checkpoint step 5 saved"))
    let second = try train(path, resumed, ranks: 2, zero: 1)
    #expect(second.stdout.contains("written by dp=2,tp=1,zero=1"), "\(second.stdout)")
    #expect(try losses(straight) == losses(resumed), "losses must be bit-identical")
    let same = try CheckpointComparison.compare(
      CheckpointComparison.finalCheckpoint(straight, step: 10), CheckpointComparison.finalCheckpoint(resumed, step: 10))
    #expect(same.identical, "weights and optimizer state must be bit-identical (max diff \(same.maxDifference))")

    // The ZeRO-1 checkpoint of step 5 resumed by one rank without ZeRO.
    let alone = try Harness.temporaryDirectory("zero1-to-single")
    let stepFive = CheckpointComparison.finalCheckpoint(resumed, step: 5)
    try train(path, alone, extra: ["--set", "checkpoint.resume=\(stepFive)"])
    // A one-rank checkpoint without ZeRO resumed by dp=2 × tp=2 with ZeRO-1.
    let moved = try Harness.temporaryDirectory("zero1-from-single")
    try train(path, moved, extra: ["--stop-at-step", "5"])
    let last = try train(path, moved, ranks: 4, tp: 2, zero: 1)
    #expect(last.stdout.contains("written by dp=1,tp=1"))
    for (name, run) in [("zero1 dp2 → zero0 1 rank", alone), ("zero0 1 rank → zero1 dp2 tp2", moved)] {
      let resumedLosses = try losses(run)
      let reference = try losses(straight).suffix(resumedLosses.count)
      var worst = 0.0
      for (p, q) in zip(reference, resumedLosses) { worst = max(worst, abs(p - q) / abs(p)) }
      let weights = try CheckpointComparison.compare(
        CheckpointComparison.finalCheckpoint(straight, step: 10), CheckpointComparison.finalCheckpoint(run, step: 10))
      print("resume \(name): worst loss rel diff \(worst), worst |weight diff| \(weights.maxDifference)")
      #expect(resumedLosses.count >= 5 && worst <= 1e-5, "\(name): losses differ by \(worst)")
      #expect(weights.maxDifference <= 1e-5, "\(name): weights differ by \(weights.maxDifference)")
    }
  }

  /// A NaN in a gradient that another rank owns (rank 1's `wte` gradient; rank 0 owns `wte`)
  /// reaches the owner through the reduce, and every rank skips the step together.
  @Test func aNaNOnANonOwnerIsSkippedEverywhere() throws {
    let path = try config("zero1-nan")
    let run = try Harness.temporaryDirectory("zero1-nan")
    let result = try train(
      path, run, ranks: 2, zero: 1,
      extra: [
        "--set", "train.on_nonfinite=skip", "--set", "debug.inject_nan_step=3", "--set", "debug.inject_nan_rank=1",
        "--set", "checkpoint.every=1", "--set", "checkpoint.keep=20",
      ])
    #expect(result.stderr.contains("update skipped (1 so far)"), "\(result.stderr)")
    let records = try Harness.trainRecords(run)
    #expect(records.count == 10 && records[2]["grad_norm"] is NSNull)
    let same = try CheckpointComparison.compare(
      CheckpointComparison.finalCheckpoint(run, step: 2), CheckpointComparison.finalCheckpoint(run, step: 3),
      includeOptimizer: false)
    #expect(same.identical, "the skipped step must not change the weights (max diff \(same.maxDifference))")
  }

  @Test func anotherZeroStageIsAOneLineError() throws {
    let path = try config("zero1-bad")
    let result = try Harness.run(["train", "--config", path, "--set", "parallel.zero=3"])
    #expect(result.status != 0)
    let lines = result.stderr.split(separator: "\n")
    #expect(lines.count == 1 && lines[0].hasPrefix("error: parallel.zero must be 0"), "\(result.stderr)")
  }
}
