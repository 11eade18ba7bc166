import ArgumentParser
import Checkpointing
import SwiftletCore

/// `swiftlet export --checkpoint FILE --output DIR --format safetensors`.
struct Export: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export",
    abstract: "Export a checkpoint's model for Hugging Face transformers (GPT2LMHeadModel or OPTForCausalLM).",
    discussion: """
      Writes DIR/model.safetensors (float32; hub GPT-2 key names, or OPTForCausalLM state-dict \
      names for OPT) and DIR/config.json, so that GPT2LMHeadModel.from_pretrained(DIR) (GPT-2 and \
      GPT-3 shapes) or OPTForCausalLM.from_pretrained(DIR) (OPT) loads the model. \
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
