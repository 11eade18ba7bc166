import Checkpointing
import Foundation
import GPT
import TestSupport
import Testing

/// `swiftlet export` of OPT checkpoints: OPTForCausalLM state-dict keys, an OPT config.json, and
/// (when python3 has torch, transformers, h5py and safetensors) transformers' logits equal to an
/// independent plain-torch OPT forward (Tests/Reference/check_export.py).
@Suite("OPT export")
struct OPTExportTests {
  static let standard = GPTConfig(family: .opt, nLayer: 2, nHead: 4, dModel: 32, nCtx: 16, vocabSize: 67)
  static let opt350mStyle = GPTConfig(
    family: .opt, nLayer: 2, nHead: 4, dModel: 32, nCtx: 16, vocabSize: 67, layerNorm: .post, wordEmbedProjDim: 16)

  /// A checkpoint of `config` with small deterministic values in every tensor.
  func writeCheckpoint(_ config: GPTConfig, directory: String) throws -> String {
    var model = "\"family\": \"opt\", \"n_layer\": 2, \"n_head\": 4, \"d_model\": 32, \"n_ctx\": 16, "
    model += "\"vocab_size\": 67, \"ffn_dim\": 128, \"layer_norm\": \"\(config.layerNorm.rawValue)\""
    if config.projectsEmbeddings { model += ", \"word_embed_proj_dim\": \(config.embeddingDim)" }
    let writer = try CheckpointWriter(
      directory: directory, step: 1, tokensSeen: 0, config: "{\"model\": {\(model)}}")
    for (index, (name, shape)) in try CheckpointTensorNames.tensors(for: config).enumerated() {
      let values = testValues(count: shape.reduce(1, *), seed: UInt64(index) + 1).map { 0.2 * $0 }
      try writer.writeTensor(CheckpointLayout.modelTensor(name), shape: shape, values: values)
    }
    return try writer.commit()
  }

  @Test(arguments: [standard, opt350mStyle])
  func exportedOPTLoadsInTransformersWithMatchingLogits(_ config: GPTConfig) throws {
    let folder = TemporaryFolder()
    let checkpoint = try writeCheckpoint(config, directory: folder.path)
    let summary = try HuggingFaceExport.export(checkpoint: checkpoint, to: folder.file("hf"))
    #expect(summary.parameterCount == config.parameterCount)
    let data = try Data(contentsOf: URL(fileURLWithPath: summary.modelPath))
    let length = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
    let header = try #require(
      try JSONSerialization.jsonObject(with: data.subdata(in: 8..<8 + length)) as? [String: Any])
    let q = try #require(header["model.decoder.layers.1.self_attn.q_proj.weight"] as? [String: Any])
    #expect(q["shape"] as? [Int] == [32, 32])
    #expect(header.keys.contains("model.decoder.final_layer_norm.weight") == (config.layerNorm == .pre))
    #expect(header.keys.contains("model.decoder.project_in.weight") == config.projectsEmbeddings)
    #expect(!header.keys.contains("lm_head.weight"))
    let json = try #require(
      try JSONSerialization.jsonObject(
        with: Data(contentsOf: URL(fileURLWithPath: summary.configPath))) as? [String: Any])
    #expect(json["model_type"] as? String == "opt")
    #expect(json["do_layer_norm_before"] as? Bool == (config.layerNorm == .pre))
    #expect(json["word_embed_proj_dim"] as? Int == config.embeddingDim)
    guard let python = Python.with(["torch", "transformers", "h5py", "safetensors"]) else {
      return Prerequisite.missing("python3 with torch, transformers, h5py and safetensors not found")
    }
    let result = try python.run(
      [PackagePaths.reference("check_export.py"), "--export-dir", folder.file("hf"), "--checkpoint", checkpoint],
      environment: ["HF_HUB_OFFLINE": "1", "TRANSFORMERS_VERBOSITY": "error"])
    print("check_export.py (\(config.layerNorm)): \(result.output)")
    #expect(result.status == 0, "\(result.output)")
    #expect(result.output.contains("OK:"))
  }
}
