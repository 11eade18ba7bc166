import Foundation
import Testing

/// `swiftlet bench --profile`: every phase of the step is timed, the shares add up to the step,
/// the GEMM phases carry their FLOP rate and the optimizer its memory traffic; MFU stays ≤ 100%.
struct BenchProfileTests {
  @Test func theProfileCoversTheWholeStep() throws {
    let result = try Harness.run(
      ["bench", "--model", "gpt2-124M", "--layers", "2", "--batch", "2", "--seq", "32", "--steps", "2", "--profile", "--json"])
    #expect(result.status == 0, "\(result.stderr)")
    let line = try #require(result.stdout.split(separator: "\n").last)
    let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    let rows = try #require(object["profile"] as? [[String: Any]])
    let phases = Set(rows.compactMap { $0["phase"] as? String })
    for phase in ["QKV projection, forward", "attention, backward", "LM head, backward", "optimizer", "cross-entropy, forward"] {
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
