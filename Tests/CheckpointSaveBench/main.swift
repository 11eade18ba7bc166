import ArgumentParser
import Foundation
import GPT

/// How long a checkpoint save takes next to a plain write of the same bytes to the same disk
/// (docs/checkpoint-format.md, "Save speed"). A benchmark, not a test: it prints figures and
/// judges nothing; CLITests runs it once on a tiny model to keep it working.
struct CheckpointSaveBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "CheckpointSaveBench",
    abstract: "Times checkpoint saves of a model + AdamW moments against plain write + fsync.")

  @Option(help: "Model preset whose tensor shapes are saved.")
  var model = "gpt2-124M"

  @Option(help: "Width and layers of a tiny GPT-2 instead of the preset: 'layers,d_model' (e.g. 2,32).")
  var tiny: String?

  @Option(help: "Folder to write in (default: the system temporary folder).")
  var dir: String?

  @Option(help: "Rounds of (plain write, checkpoint save), alternating which goes first.")
  var reps = 3

  func run() throws {
    let config: GPTConfig
    if let tiny {
      let sizes = tiny.split(separator: ",").compactMap { Int($0) }
      guard sizes.count == 2, sizes.allSatisfy({ $0 > 0 }), sizes[1] % 4 == 0 else {
        throw ValidationError("--tiny must be 'layers,d_model' with d_model a multiple of 4, got \(tiny)")
      }
      config = GPTConfig(family: .gpt2, nLayer: sizes[0], nHead: 4, dModel: sizes[1], nCtx: 16, vocabSize: 67)
    } else {
      config = try GPTConfig.preset(named: model)
    }
    let directory =
      dir ?? FileManager.default.temporaryDirectory.appendingPathComponent("checkpoint-save-bench-\(getpid())").path
    let result = try CheckpointSaveBenchmark.run(directory: directory, config: config, repetitions: reps) {
      print("  \($0)")
    }
    if dir == nil { try? FileManager.default.removeItem(atPath: directory) }
    print(result.summary)
    let extra = result.extraPeakMemoryBytes.map(String.init) ?? "null"
    print("{\"bytes\":\(result.bytes),\"ratio\":\(result.ratio),\"extra_peak_memory_bytes\":\(extra)}")
  }
}

CheckpointSaveBench.main()
