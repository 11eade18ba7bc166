import Checkpointing
import Foundation
import GPT
import Optimizers
import Parallel
import SwiftletCore

/// Opens a checkpoint for inference or evaluation on this process's layout: the model shape
/// comes from the checkpoint's own config, the weights from its full tensors.
///
/// `path` may also be a Hugging Face folder or an llm.c file (docs/fine-tuning.md): rank 0
/// imports it into a temporary checkpoint (in the system's temporary folder), which every rank
/// reads and rank 0 then deletes.
public enum CheckpointModelLoader {
  public static func load(path: String, grid: ProcessGrid) throws -> (
    model: GPTModel, config: RunConfig, reader: CheckpointReader
  ) {
    let checkpoint = try ImportedCheckpoint.materialize(
      path, grid: grid, scratchDirectory: NSTemporaryDirectory())
    defer { checkpoint.remove(grid: grid) }
    // A temporary import was written a moment ago; a checkpoint is checked as it always was.
    let reader = try CheckpointReader(path: checkpoint.path, verifyFileChecksum: !checkpoint.isTemporary)
    let config = try RunConfig.fromJSON(reader.config)
    try ParameterLayout.validate(config: config.model, tpSize: grid.tpSize)
    let model = try GPTModel(config: config.model, region: grid.tensorParallelRegion)
    try ShardedCheckpoint.loadParameters(reader: reader, model: model)
    return (model, config, reader)
  }
}
