import ArgumentParser
import Dataset
import Foundation
import SwiftletCore

/// `swiftlet prepare`: text files → GPT-2 token shards (docs/data.md).
struct Prepare: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "prepare",
    abstract: "Encode text files with GPT-2's BPE into train and validation token shards.",
    discussion: """
      Each input is encoded as one string, as ordinary text (a literal <|endoftext|> is just \
      characters unless --allow-endoftext is given). The first (1 - F) of each input's tokens go \
      to the train shards and the rest to the validation shards, so train followed by val is \
      exactly the file's encoding. Shards are DIR/train_000000.bin, DIR/val_000000.bin, … in \
      llm.c's format (256 int32 header, uint16 tokens). Shards of an earlier run in DIR that this \
      run does not rewrite are removed.
      """)

  @Option(name: .customLong("input"), help: ArgumentHelp("A text file to encode (repeatable).", valueName: "file"))
  var inputs: [String] = []

  @Option(help: ArgumentHelp("Folder for the shards (created if needed).", valueName: "dir"))
  var output: String

  @Option(help: ArgumentHelp("Share F of each input's tokens for validation, 0 ≤ F < 1.", valueName: "F"))
  var valFraction: Double = 0.1

  @Option(
    help: ArgumentHelp(
      "Folder holding encoder.json and vocab.bpe (default: $SWIFTLET_TOKENIZER, else "
        + "${XDG_CACHE_HOME:-~/.cache}/swiftlet/tokenizer, filled by launch/setup-tokenizer.sh).",
      valueName: "dir"))
  var tokenizer: String?

  @Option(
    help: ArgumentHelp("Tokens per shard before the next shard starts (accepts 1e8).", valueName: "n"))
  var shardTokens: String = "100000000"

  @Flag(help: "Encode a literal <|endoftext|> in the text as the special token 50256.")
  var allowEndoftext = false

  @Flag(help: "Put <|endoftext|> (50256) before each input's tokens, as GPT-2 separates documents.")
  var prependEndoftext = false

  func run() throws {
    var options = PrepareOptions(inputs: inputs, outputDirectory: output)
    options.validationFraction = valFraction
    options.shardTokens = try Prepare.count(shardTokens)
    options.allowingEndOfText = allowEndoftext
    options.prependingEndOfText = prependEndoftext
    try DatasetPreparer.validate(options)  // bad inputs fail before the tokenizer loads

    let loadStart = MonotonicClock.now()
    let gpt2 = try GPT2Tokenizer(locating: tokenizer)
    let loadSeconds = MonotonicClock.now() - loadStart
    let display = ProgressDisplay()
    defer { display.finish() }  // end the progress line before the summary or an error line
    let summary = try DatasetPreparer.run(options, tokenizer: gpt2, progress: display.update)
    display.finish()

    let shards = { (count: Int, paths: [String]) in
      "\(groupedDigits(Int64(count))) tokens in \(paths.count) shard\(paths.count == 1 ? "" : "s")"
    }
    let megabytes = String(format: "%.2f MB", Double(summary.bytes) / 1e6)
    var line =
      "prepared \(summary.files) file\(summary.files == 1 ? "" : "s") (\(megabytes)): "
      + "\(groupedDigits(Int64(summary.tokens))) tokens, train \(shards(summary.trainTokens, summary.trainShards)), "
      + "val \(shards(summary.validationTokens, summary.validationShards)) in \(output); "
      + String(
        format: "%.2f s, %.2f MB/s (encoding alone %.2f MB/s; tokenizer loaded in %.2f s)", summary.seconds,
        summary.megabytesPerSecond, summary.encodingMegabytesPerSecond, loadSeconds)
    if !summary.removedShards.isEmpty {
      line +=
        "; removed \(summary.removedShards.count) shard\(summary.removedShards.count == 1 ? "" : "s") of an earlier run"
    }
    print(line)
  }

  /// A positive `--shard-tokens` count, written as an integer or in scientific notation (`1e8`).
  static func count(_ text: String) throws -> Int {
    if let value = Int(text), value > 0 { return value }
    if let value = Double(text), value.isFinite, value >= 1, value <= 9e15, value == value.rounded() {
      return Int(value)
    }
    throw SwiftletError("--shard-tokens must be a positive whole number (e.g. 100000000 or 1e8), got '\(text)'")
  }
}

/// Redraws one progress line on stderr, only when stderr is a terminal and the input is large
/// (a redrawn line in a log file is `^M` soup; see docs/operations.md).
private final class ProgressDisplay {
  private let enabled = isatty(STDERR_FILENO) != 0
  private var lastDraw = 0.0  // first line after half a second, when the rate means something
  private var drew = false
  private static let largeInput = 32 << 20

  func update(_ progress: PrepareProgress) {
    guard enabled, (progress.fileBytes ?? Int.max) >= ProgressDisplay.largeInput, progress.seconds - lastDraw >= 0.5
    else {
      return
    }
    lastDraw = progress.seconds
    drew = true
    var text =
      "prepare: \((progress.path as NSString).lastPathComponent) (\(progress.fileIndex + 1)/\(progress.fileCount))"
    if let size = progress.fileBytes, size > 0 {
      text += String(format: " %3.0f%%", 100 * Double(progress.bytesRead) / Double(size))
    }
    text += String(
      format: " %.0f MB, %.1f MB/s", Double(progress.totalBytesRead) / 1e6,
      progress.seconds > 0 ? Double(progress.totalBytesRead) / progress.seconds / 1e6 : 0)
    FileHandle.standardError.write("\r\(text)\u{1B}[K")
  }

  func finish() {
    if drew { FileHandle.standardError.write("\n") }
    drew = false
  }
}
