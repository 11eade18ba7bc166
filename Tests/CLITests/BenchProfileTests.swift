import Foundation
import Testing

/// `swiftlet bench --profile`: every phase of the step is timed, the shares add up to the step,
/// the GEMM phases carry their FLOP rate and the optimizer its memory traffic; MFU stays ≤ 100%.
struct BenchProfileTests {
  @Test func theProfileCoversTheWholeStep() throws {
    let result = try Harness.run(
      [
        "bench", "--model", "gpt2-124M", "--layers", "2", "--batch", "2", "--seq", "32", "--steps", "2", "--profile",
        "--json",
      ])
    #expect(result.status == 0, "\(result.stderr)")
    let line = try #require(result.stdout.split(separator: "\n").last)
    let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    let rows = try #require(object["profile"] as? [[String: Any]])
    let phases = Set(rows.compactMap { $0["phase"] as? String })
    for phase in [
      "QKV projection, forward", "attention, backward", "LM head, backward", "optimizer", "cross-entropy, forward",
    ] {
      #expect(phases.contains(phase), "\(phase) missing from \(phases)")
    }
    let shares = rows.compactMap { $0["share"] as? Double }
    #expect(abs(shares.reduce(0, +) - 1) < 1e-9)
    let total = rows.compactMap { $0["ms_per_step"] as? Double }.reduce(0, +)
    // The phases tile the step between its first and last mark: not more than the step took.
    #expect(total <= (object["step_ms_median"] as? Double ?? 0) * 1.5 + 1)
    let qkv = try #require(rows.first { $0["phase"] as? String == "QKV projection, forward" })
    #expect((qkv["gemm_gflops"] as? Double ?? 0) > 0)
    let optimizer = try #require(rows.first { $0["phase"] as? String == "optimizer" })
    #expect((optimizer["gb_per_s"] as? Double ?? 0) > 0)
    #expect((object["memory_bandwidth_gbs"] as? Double ?? 0) > 0.1)
    #expect((object["mfu"] as? Double ?? 2) <= 1)
  }
}

extension BenchProfileTests {
  /// `bench --pp 2` on two ranks reports the bubble it saw next to the ideal one; the ideal is
  /// (P − 1)/(M + P − 1) exactly, and the measured and predicted ones are shares of the step.
  @Test func thePipelineBenchReportsItsBubble() throws {
    let result = try Harness.run(
      [
        "bench", "--model", "gpt2-124M", "--layers", "2", "--vocab", "256", "--batch", "4", "--seq", "32", "--steps",
        "2",
        "--pp", "2", "--microbatches", "4", "--json",
      ],
      ranks: 2)
    #expect(result.status == 0, "\(result.stderr)")
    let line = try #require(result.stdout.split(separator: "\n").last)
    let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    #expect(object["pp"] as? Int == 2 && object["microbatches"] as? Int == 4)
    #expect(object["pipeline_bubble_ideal"] as? Double == 1.0 / 5.0)
    for key in ["pipeline_bubble_measured", "pipeline_bubble_predicted_from_stage_times"] {
      let value = try #require(object[key] as? Double, "\(key) missing")
      #expect(value > 0 && value < 1, "\(key) = \(value)")
    }
    #expect((object["pipeline_stage_imbalance"] as? Double ?? 0) >= 1)
  }
}
