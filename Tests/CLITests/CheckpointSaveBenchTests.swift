import Foundation
import Testing

/// The checkpoint save benchmark (Tests/CheckpointSaveBench) on a tiny model: it saves both
/// ways, reports the bytes of model + two moments, and leaves its folder empty. The full-size
/// figures are a measurement, taken by hand (docs/checkpoint-format.md).
struct CheckpointSaveBenchTests {
  @Test func measuresBothWritersAndCleansUp() throws {
    let folder = try Harness.temporaryDirectory("save-bench")
    let result = try Harness.run(
      ["--tiny", "2,32", "--dir", folder, "--reps", "1"], program: "CheckpointSaveBench")
    #expect(result.status == 0, "\(result.stderr)")
    let summary = try #require(result.stdout.split(separator: "\n").last)
    let object = try #require(try JSONSerialization.jsonObject(with: Data(summary.utf8)) as? [String: Any])
    // GPT-2 with 2 layers, d_model 32, n_ctx 16, vocabulary 67: V·C + T·C + L(12C² + 13C) + 2C
    // = 28,128 parameters, 3 copies of 4 bytes.
    #expect(object["bytes"] as? Int == 28_128 * 3 * 4)
    #expect((object["ratio"] as? Double ?? 0) > 0)
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)

    let bad = try Harness.run(["--tiny", "2,30"], program: "CheckpointSaveBench")
    #expect(bad.status != 0 && bad.stderr.contains("--tiny must be"))
  }
}
