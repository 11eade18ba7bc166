import Foundation
import TestSupport
import Testing

/// Mutation fuzzing of the checkpoint reader through the real executable (HDF5 is C: a crash
/// must be caught as a signal, not take the test runner down). Every mutated file must give a
/// clean one-line error or verify; mutations aim at the file's structure (its first and last
/// kilobytes, where HDF5 keeps the superblock and metadata) as well as the data.
struct CheckpointFuzzTests {
  // Found by this test: HDF5 1.10.8 aborts ("free(): invalid pointer") or segfaults inside
  // H5Fopen on checkpoints whose metadata is corrupted (about 1 in 4 mutations of a tiny file).
  // Fixed by the whole-file checksum in the user block (Checkpointing/FileChecksum.swift).
  @Test func mutatedCheckpointsNeverCrashTheReader() throws {
    let trials = Int(ProcessInfo.processInfo.environment["SWIFTLET_FUZZ_CHECKPOINTS"] ?? "") ?? 40
    let (data, configPath) = try Harness.preparedData("ckfuzz") {
      TinyModel.config(data: $0, runDirectory: $0 + "/run")
    }
    #expect(try Harness.run(["train", "--config", configPath, "--set", "train.max_steps=2"]).status == 0)
    let original = try Data(contentsOf: URL(fileURLWithPath: data + "/run/checkpoints/step_00000002.h5"))
    var state: UInt64 = 0xFACE
    func below(_ n: Int) -> Int {
      state = state &* 6364136223846793005 &+ 1442695040888963407
      return Int((state >> 17) % UInt64(max(1, n)))
    }
    var crashes: [String] = []
    for trial in 0..<trials {
      var bytes = [UInt8](original)
      let region = trial % 3  // 0: first 4 KiB, 1: last 4 KiB, 2: anywhere
      for _ in 0...below(6) {
        let p: Int
        switch region {
        case 0: p = below(min(4096, bytes.count))
        case 1: p = bytes.count - 1 - below(min(4096, bytes.count))
        default: p = below(bytes.count)
        }
        bytes[p] ^= UInt8(1 << below(8))
      }
      if trial % 7 == 6 { bytes = Array(bytes.prefix(below(bytes.count))) }
      let path = data + "/mutated-\(trial).h5"
      try Data(bytes).write(to: URL(fileURLWithPath: path))
      let result = try Harness.run(["inspect", "--verify", path])
      let crashed = result.stderr.contains("crashed") || result.stderr.contains("Fatal error") || result.status > 128
      if crashed {
        crashes.append(path)
      } else {
        try? FileManager.default.removeItem(atPath: path)
        if result.status != 0 {
          let errors = result.stderr.split(separator: "\n").filter { !$0.isEmpty }
          #expect(errors.count == 1 && errors[0].hasPrefix("error: "), "trial \(trial): \(result.stderr)")
        }
      }
    }
    #expect(crashes.isEmpty, "mutated checkpoints that crashed the reader (kept): \(crashes)")
  }
}
