import Checkpointing
import Foundation
import TestSupport
import Testing

/// Adafactor under tensor parallelism, with real `mpirun`: each shard is factored as a slice of
/// the full matrix (its partial row/column sums, Σr and Σ U² are summed across tp), so every
/// layout must train as the single rank does, and its checkpoints must hold the full tensors'
/// factors, resumable on another layout.
@Suite(.serialized)
struct AdafactorTensorParallelTests {
  /// The tiny config with Adafactor (first moment on, so `exp_avg` is sharded too). The vocabulary
  /// (67) is padded under tp = 2 and 4, which the row factors of `wte` must ignore.
  static func config(data: String, run: String) -> String {
    TinyModel.config(data: data, runDirectory: run)
      .replacingOccurrences(of: "threads = 1", with: "threads = 1\noptimizer = \"adafactor\"\nadafactor_beta1 = 0.9")
  }

  /// Per tensor of two checkpoints: the largest |a − b| (model) or |a − b| / max|a| (optimizer).
  static func differences(_ a: String, _ b: String) throws -> [String: Float] {
    let left = try CheckpointReader(path: a)
    let right = try CheckpointReader(path: b)
    var result: [String: Float] = [:]
    for info in try left.tensors() where info.path.hasPrefix("model/") || info.path.hasPrefix("optimizer/") {
      let x = try left.read(info.path)
      let y = try right.read(info.path)
      #expect(x.count == y.count, "\(info.path) sizes differ")
      let scale = info.path.hasPrefix("model/") ? 1 : max(x.map(abs).max() ?? 0, .leastNormalMagnitude)
      var worst: Float = 0
      for (i, (p, q)) in zip(x, y).enumerated() where !isKeyBias(info.path, i) {
        worst = max(worst, abs(p - q) / scale)
      }
      result[info.path] = worst
    }
    return result
  }

  /// Elements of the attention key bias. Its gradient is zero in exact arithmetic (softmax does
  /// not change when every key score of a query shifts by the same q·b), so what reaches the
  /// optimizer is rounding noise; Adafactor divides each element by its own RMS, turning noise
  /// into ±lr steps. Any change of summation order — plain data parallelism included — moves
  /// these elements by up to lr per step, so they are not comparable across layouts.
  static func isKeyBias(_ path: String, _ index: Int) -> Bool {
    guard path.hasSuffix("attn.c_attn.bias") else { return false }
    return (32..<64).contains(index)  // d_model = 32: [q | k | v]
  }

  @Test func everyTensorParallelLayoutMatchesTheSingleRank() throws {
    let (_, configPath, base) = try Harness.preparedRun("adafactor-tp", config: Self.config)
    let single = try Harness.run(["train", "--config", configPath])
    #expect(single.status == 0, "single rank: \(single.stderr)")
    let reference = try Harness.trainRecords(base).map { $0["loss"] as! Double }
    #expect(reference.count == 10 && reference.last! < reference.first!, "loss should fall: \(reference)")
    let baseCheckpoint = CheckpointComparison.finalCheckpoint(base, step: 10)

    // The yardstick: plain data parallelism changes only the gradients' summation order.
    // Adafactor's per-element normalisation magnifies such rounding in near-zero gradients, so
    // optimizer state is judged against what dp = 2 itself does, tensor by tensor.
    let dataParallel = try Harness.temporaryDirectory("adafactor-tp-dp2")
    #expect(try Harness.run(["train", "--config", configPath, "--run-dir", dataParallel], ranks: 2).status == 0)
    let yardstick = try Self.differences(baseCheckpoint, CheckpointComparison.finalCheckpoint(dataParallel, step: 10))

    // (4, 2, zero 1): ZeRO-1 hands each tensor's factor slices to its owning replica as well.
    for (ranks, tp, zero) in [(2, 2, 0), (4, 2, 0), (4, 4, 0), (4, 2, 1)] {
      let run = try Harness.temporaryDirectory("adafactor-tp-\(ranks)-\(tp)-\(zero)")
      let result = try Harness.run(
        ["train", "--config", configPath, "--tp", "\(tp)", "--set", "parallel.zero=\(zero)", "--run-dir", run],
        ranks: ranks)
      #expect(result.status == 0, "np \(ranks) tp \(tp): \(result.stderr)")
      let losses = try Harness.trainRecords(run).map { $0["loss"] as! Double }
      var worstLoss = 0.0
      for (a, b) in zip(losses, reference) { worstLoss = max(worstLoss, abs(a - b) / abs(b)) }
      let differences = try Self.differences(baseCheckpoint, CheckpointComparison.finalCheckpoint(run, step: 10))
      let model = differences.filter { $0.key.hasPrefix("model/") }
      let state = differences.filter { $0.key.hasPrefix("optimizer/") }
      let worstWeight = model.values.max() ?? .infinity
      let worstState = state.values.max() ?? .infinity
      let factors = state.filter { $0.key.contains("exp_avg_sq_row") || $0.key.contains("exp_avg_sq_col") }
      let yardstickFactors = yardstick.filter { $0.key.contains("exp_avg_sq_row") || $0.key.contains("exp_avg_sq_col") }
      print(
        "adafactor np=\(ranks) tp=\(tp) zero=\(zero): worst loss rel diff \(worstLoss), worst |weight diff| \(worstWeight) "
          + "(key bias excluded; dp=2: \(yardstick.filter { $0.key.hasPrefix("model/") }.values.max()!)), worst factor rel diff "
          + "\(factors.values.max()!) (dp=2: \(yardstickFactors.values.max()!)), worst optimizer-state rel diff \(worstState)"
      )
      #expect(losses.count == 10 && worstLoss <= 1e-5, "np \(ranks) tp \(tp): loss rel diff \(worstLoss)")
      #expect(worstWeight <= 1e-4, "np \(ranks) tp \(tp): weights differ by \(worstWeight)")
      #expect(model.filter { !$0.key.hasSuffix("c_attn.bias") }.values.allSatisfy { $0 <= 1e-5 })
      // Factoring each shard on its own, or storing a shard's factors as the full ones, moves
      // these by percents; layout rounding moves them by parts in 10⁴.
      #expect(factors.count == 20, "a row and a column factor per matrix")
      #expect(
        factors.values.allSatisfy { $0 <= 1e-3 },
        "np \(ranks) tp \(tp): factors differ: \(factors.filter { $0.value > 1e-3 })")
    }
  }

  /// A tp = 2 checkpoint holds the full matrices' factors: a single rank resumes it and ends
  /// where the straight single-rank run ends.
  @Test func aTensorParallelCheckpointResumesOnOneRank() throws {
    let (_, configPath, straight) = try Harness.preparedRun("adafactor-resume", config: Self.config)
    #expect(try Harness.run(["train", "--config", configPath]).status == 0)

    let moved = try Harness.temporaryDirectory("adafactor-moved")
    let first = try Harness.run(
      ["train", "--config", configPath, "--tp", "2", "--run-dir", moved, "--stop-at-step", "5"], ranks: 2)
    #expect(first.status == 0, "\(first.stderr)")
    let second = try Harness.run(["train", "--config", configPath, "--run-dir", moved])
    #expect(second.status == 0, "\(second.stderr)")
    #expect(second.stdout.contains("resuming from"), "the single rank resumed: \(second.stdout)")
    let final = (
      CheckpointComparison.finalCheckpoint(straight, step: 10), CheckpointComparison.finalCheckpoint(moved, step: 10)
    )
    let differences = try Self.differences(final.0, final.1)
    let worstWeight = differences.filter { $0.key.hasPrefix("model/") }.values.max()!
    let worstFactor = differences.filter { $0.key.contains("exp_avg_sq_row") || $0.key.contains("exp_avg_sq_col") }
      .values.max()!
    print(
      "adafactor tp=2 → tp=1 resume: worst |weight diff| \(worstWeight) (key bias excluded), worst factor rel diff \(worstFactor)"
    )
    #expect(worstWeight <= 1e-4)
    #expect(worstFactor <= 1e-3)
  }

  /// OPT's column-parallel layers are `[out, in]` weights split by rows, and its q/k/v biases
  /// are vectors split like them: Adafactor must treat both as slices of the full tensors.
  @Test func optTrainsTheSameWithTensorParallelism() throws {
    let (_, configPath, base) = try Harness.preparedRun("adafactor-opt") { data, run in
      Self.config(data: data, run: run).replacingOccurrences(of: "[model]\n", with: "[model]\npreset = \"opt-125m\"\n")
    }
    #expect(try Harness.run(["train", "--config", configPath]).status == 0)
    let reference = try Harness.trainRecords(base).map { $0["loss"] as! Double }
    let run = try Harness.temporaryDirectory("adafactor-opt-tp2")
    let result = try Harness.run(["train", "--config", configPath, "--tp", "2", "--run-dir", run], ranks: 2)
    #expect(result.status == 0, "\(result.stderr)")
    let losses = try Harness.trainRecords(run).map { $0["loss"] as! Double }
    var worst = 0.0
    for (a, b) in zip(losses, reference) { worst = max(worst, abs(a - b) / abs(b)) }
    let factors = try Self.differences(
      CheckpointComparison.finalCheckpoint(base, step: 10), CheckpointComparison.finalCheckpoint(run, step: 10)
    ).filter { $0.key.contains("exp_avg_sq_row") || $0.key.contains("exp_avg_sq_col") }
    print("adafactor OPT tp=2: worst loss rel diff \(worst), worst factor rel diff \(factors.values.max() ?? -1)")
    #expect(losses.count == 10 && worst <= 1e-5)
    #expect(factors.count == 28, "row and column factors of 14 matrices (q, k, v, out, fc1, fc2 per layer; two tables)")
    #expect(factors.values.allSatisfy { $0 <= 1e-3 })
  }
}
