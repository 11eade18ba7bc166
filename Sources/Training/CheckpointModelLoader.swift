import Checkpointing
import GPT
import Optimizers
import Parallel
import SwiftletCore

/// Opens a checkpoint for inference or evaluation on this process's layout: the model shape
/// comes from the checkpoint's own config, the weights from its full tensors.
public enum CheckpointModelLoader {
  public static func load(path: String, grid: ProcessGrid) throws -> (model: GPTModel, config: RunConfig, reader: CheckpointReader) {
    let reader = try CheckpointReader(path: path)
    let config = try RunConfig.fromJSON(reader.config)
    try ParameterLayout.validate(config: config.model, tpSize: grid.tpSize)
    let model = try GPTModel(config: config.model, region: TensorParallelRegion(group: grid.tensorParallel))
    try ShardedCheckpoint.loadParameters(reader: reader, model: model)
    return (model, config, reader)
  }
}
