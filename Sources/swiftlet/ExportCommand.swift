import ArgumentParser
import Checkpointing
import SwiftletCore

/// `swiftlet export --checkpoint FILE --output DIR --format safetensors`.
struct Export: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export",
    abstract: "Export a checkpoint's model for Hugging Face transformers (GPT2LMHeadModel).",
    discussion: """
      Writes DIR/model.safetensors (hub GPT-2 key names, float32) and DIR/config.json, so that \
      GPT2LMHeadModel.from_pretrained(DIR) loads the model. GPT-2 and GPT-3 shapes only. \
      A checkpoint whose tensors fail their checksums is refused.
      """)

  @Option(help: "The checkpoint file to export.")
  var checkpoint: String

  @Option(help: "The folder to write (created if missing; existing export files are replaced).")
  var output: String

  @Option(help: "Output format; only 'safetensors' is supported.")
  var format = "safetensors"

  func validate() throws {
    guard format == "safetensors" else {
      throw ValidationError("unsupported --format '\(format)'; the only format is 'safetensors'")
    }
  }

  func run() throws {
    let summary = try HuggingFaceExport.export(checkpoint: checkpoint, to: output)
    print(
      "wrote \(summary.modelPath) (\(summary.tensorCount) tensors, \(summary.parameterCount) parameters)"
    )
    print("wrote \(summary.configPath)")
  }
}
