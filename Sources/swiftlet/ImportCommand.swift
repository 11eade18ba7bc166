import ArgumentParser
import Checkpointing
import Foundation
import SwiftletCore
import Training

/// `swiftlet import --input PATH --output FILE.h5` (docs/fine-tuning.md).
struct Import: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "import",
    abstract: "Turn released weights (a Hugging Face folder or an llm.c GPT-2 file) into a step-0 checkpoint.",
    discussion: """
      --input is a Hugging Face folder (config.json and model.safetensors, or shards listed by \
      model.safetensors.index.json) of a GPT2LMHeadModel or OPTForCausalLM with float32, float16 \
      or bfloat16 tensors, or an llm.c GPT-2 checkpoint (gpt2_124M.bin). Every tensor is stored as \
      float32 under its Hugging Face name (llm.c weights transposed to Conv1D's [in, out], its \
      padded vocabulary rows dropped); the checkpoint has no optimizer state. Train from it with \
      model.init_from = FILE (or give the folder itself). The output appears only when complete.
      """)

  @Option(help: "Hugging Face model folder or llm.c checkpoint file.")
  var input: String

  @Option(help: "Checkpoint file to write (.h5).")
  var output: String

  func run() throws {
    let source = try ModelSourceKind.open(input)
    let config = try RunConfig.imported(model: source.config, source: input)
    let summary = try ModelImport.write(source, to: output, configJSON: config.json)
    print("imported \(summary.origin)")
    print("wrote \(summary.path) (\(summary.tensorCount) tensors, \(summary.parameterCount) parameters, step 0)")
  }
}
