import Checkpointing
import Foundation
import GPT
import Testing

@Suite("Checkpoint save benchmark")
struct CheckpointSaveBenchmarkTests {
  /// The benchmark machinery on a tiny model (always runs, fast).
  @Test func benchmarkMeasuresBothWritersAndCleansUp() throws {
    let folder = TemporaryFolder("bench")
    let result = try CheckpointSaveBenchmark.run(
      directory: folder.path, config: tinyConfig, repetitions: 1)
    #expect(result.bytes == tinyConfig.parameterCount * 3 * 4)
    #expect(result.checkpointSeconds.count == 1 && result.plainWriteSeconds.count == 1)
    #expect(result.ratio > 0)
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
  }

  /// GPT-2 124M + two AdamW moments (≈1.5 GB): `SWIFTLET_CHECKPOINT_BENCH=1 swift test
  /// --filter CheckpointSaveBenchmarkTests`; `SWIFTLET_CHECKPOINT_BENCH_DIR` picks the folder,
  /// `SWIFTLET_CHECKPOINT_BENCH_REPS` the rounds (default 3).
  @Test(.enabled(if: ProcessInfo.processInfo.environment["SWIFTLET_CHECKPOINT_BENCH"] != nil))
  func gpt2SmallWithAdamWSavesWithinTwiceThePlainWriteTime() throws {
    let environment = ProcessInfo.processInfo.environment
    let folder = TemporaryFolder("bench")
    let directory = environment["SWIFTLET_CHECKPOINT_BENCH_DIR"] ?? folder.path
    let repetitions = environment["SWIFTLET_CHECKPOINT_BENCH_REPS"].flatMap { Int($0) } ?? 3
    let result = try CheckpointSaveBenchmark.run(directory: directory, repetitions: repetitions) {
      print("  \($0)")
    }
    print(result.summary)
    #expect(result.bytes == 124_439_808 * 3 * 4)
    #expect(result.ratio < 2)
    // Saving streams from the caller's buffers: far less than one extra copy of the state.
    if let extra = result.extraPeakMemoryBytes { #expect(extra < result.bytes / 10) }
  }
}
