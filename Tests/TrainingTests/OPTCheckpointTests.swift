import Checkpointing
import Foundation
import GPT
import MPIBindings
import Optimizers
import Parallel
import Testing
import Training

/// OPT checkpoints: `/model` holds `OPTForCausalLM` state-dict names and shapes, the stored
/// config gives back the same shape (post-LayerNorm and projections included), and loading
/// restores every parameter bit for bit.
@Suite(.serialized)
struct OPTCheckpointTests {
  static let overrides = [
    "model.preset=opt-350m", "model.n_layer=2", "model.n_head=4", "model.d_model=32", "model.n_ctx=16",
    "model.vocab_size=67", "model.word_embed_proj_dim=16", "data.train=unused.bin",
  ]

  @Test func optCheckpointRoundTripsUnderHuggingFaceNames() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("opt-ckpt-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let config = try RunConfig.load(path: nil, overrides: Self.overrides)
    #expect(config.model.family == .opt && config.model.layerNorm == .post && config.model.embeddingDim == 16)
    let grid = try ProcessGrid(world: try MPIRuntime.initialise(), tensorParallelSize: 1)
    let model = try GPTModel(config: config.model, region: TensorParallelRegion(group: grid.tensorParallel))
    ModelInitializer.initialize(model.parameters, layout: model.layout, seed: 5)
    let optimizer = AdamW(segments: model.optimizerSegments, arenaCount: model.layout.count)
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let path = try ShardedCheckpoint.save(
      model: model, optimizer: optimizer, grid: grid, directory: directory,
      metadata: .init(step: 3, tokensSeen: 96, configJSON: config.json, ledger: [:], state: CheckpointState()))

    let reader = try CheckpointReader(path: path)
    let stored = Dictionary(
      uniqueKeysWithValues: try reader.tensors().filter { $0.path.hasPrefix("model/") }.map {
        (String($0.path.dropFirst("model/".count)), $0.shape)
      })
    let expected = try CheckpointTensorNames.tensors(for: config.model)
    #expect(stored.count == expected.count)
    for (name, shape) in expected { #expect(stored[name] == shape, "\(name)") }
    // Spot checks against OPTForCausalLM's state dict (nn.Linear weights are [out, in]).
    #expect(stored["model.decoder.embed_tokens.weight"] == [67, 16])
    #expect(stored["model.decoder.embed_positions.weight"] == [18, 32])
    #expect(stored["model.decoder.project_in.weight"] == [32, 16])
    #expect(stored["model.decoder.project_out.weight"] == [16, 32])
    #expect(stored["model.decoder.layers.1.self_attn.q_proj.weight"] == [32, 32])
    #expect(stored["model.decoder.layers.1.fc1.weight"] == [128, 32])
    #expect(stored["model.decoder.layers.1.fc2.weight"] == [32, 128])
    #expect(stored["model.decoder.layers.1.final_layer_norm.bias"] == [32])
    #expect(stored["model.decoder.final_layer_norm.weight"] == nil, "post-LayerNorm OPT has no final LayerNorm")
    #expect(stored["lm_head.weight"] == nil, "the tied head is not stored")
    #expect(try CheckpointModelConfig.parse(reader.config) == config.model)

    let loaded = try CheckpointModelLoader.load(path: path, grid: grid)
    #expect(loaded.model.config == config.model)
    for tensor in model.layout.tensors {
      let a = UnsafeBufferPointer(start: model.parameters.base + tensor.offset, count: tensor.count)
      let b = UnsafeBufferPointer(start: loaded.model.parameters.base + tensor.offset, count: tensor.count)
      #expect(zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern }, "\(tensor.name)")
    }
  }

  @Test func optConfigJSONRoundTripsAndOldConfigsDecode() throws {
    let config = try RunConfig.load(path: nil, overrides: Self.overrides)
    #expect(try RunConfig.fromJSON(config.json).model == config.model)
    // A GPTConfig encoded before layerNorm and wordEmbedProjDim existed still decodes.
    let old = #"{"family":"opt","nLayer":2,"nHead":4,"dModel":32,"nCtx":16,"vocabSize":67,"ffnDim":128}"#
    let decoded = try JSONDecoder().decode(GPTConfig.self, from: Data(old.utf8))
    #expect(decoded == GPTConfig(family: .opt, nLayer: 2, nHead: 4, dModel: 32, nCtx: 16, vocabSize: 67))
    let encoded = try JSONEncoder().encode(config.model)
    #expect(try JSONDecoder().decode(GPTConfig.self, from: encoded) == config.model)
  }
}
