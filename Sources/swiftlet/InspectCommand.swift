import ArgumentParser
import Checkpointing
import SwiftletCore

/// `swiftlet inspect FILE [--json] [--verify]` (docs/checkpoint-format.md).
struct Inspect: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "inspect",
    abstract: "Summarise a checkpoint: config, step, tokens, ledger, resume state and tensors.",
    discussion: """
      Reads only the header and metadata unless --verify is given, which re-reads every tensor \
      and checks its CRC-32 (exit status 1 if any fails).
      """)

  @Argument(help: "The checkpoint file (RUN_DIR/checkpoints/step_XXXXXXXX.h5).")
  var file: String

  @Flag(help: "Print one JSON object instead of text.")
  var json = false

  @Flag(help: "Re-read every tensor and check its checksum.")
  var verify = false

  @Flag(help: "List optimizer tensors one by one too (text output).")
  var allTensors = false

  func run() throws {
    let summary = try CheckpointSummary(path: file, verify: verify)
    print(json ? try summary.json() : summary.text(allTensors: allTensors))
    let failures = summary.failures
    if let first = failures.first {
      throw SwiftletError(
        "checkpoint \(file) is damaged: \(failures.count) of \(summary.checks?.count ?? 0) datasets fail their checksum (first: '\(first.path)')"
      )
    }
  }
}
