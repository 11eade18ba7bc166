import GPT
import SwiftletCore
import Testing

/// OPT presets: parameter counts equal `OPTForCausalLM`'s (measured with transformers 5.23 on
/// the meta device, tied head counted once), and the training layout holds exactly that many.
struct OPTPresetTests {
  @Test(arguments: [
    ("opt-125m", 125_239_296), ("opt-350m", 331_196_416), ("opt-1.3b", 1_315_758_080),
    ("opt-2.7b", 2_651_596_800),
  ])
  func parameterCountEqualsTransformers(_ name: String, _ expected: Int) throws {
    #expect(try GPTConfig.preset(named: name).parameterCount == expected)
  }

  @Test func everyPresetsLayoutHoldsItsParameterCount() throws {
    for (name, config) in GPTConfig.presets {
      let layout = try ParameterLayout(config: config)
      #expect(layout.tensors.reduce(0) { $0 + $1.fullCount } == config.parameterCount, "\(name)")
    }
  }

  @Test func opt350mIsPostLayerNormWithA512WideProjectedEmbedding() throws {
    let config = try GPTConfig.preset(named: "opt-350m")
    #expect(config.layerNorm == .post && config.embeddingDim == 512 && config.projectsEmbeddings)
    let layout = try ParameterLayout(config: config)
    #expect(layout["model.decoder.embed_tokens.weight"].fullShape == [50272, 512])
    #expect(layout["model.decoder.embed_positions.weight"].fullShape == [2050, 1024])
    #expect(layout["model.decoder.project_in.weight"].fullShape == [1024, 512])
    #expect(layout["model.decoder.project_out.weight"].fullShape == [512, 1024])
    #expect(!layout.contains("model.decoder.final_layer_norm.weight"))
    let standard = try GPTConfig.preset(named: "opt-1.3b")
    #expect(standard.layerNorm == .pre && !standard.projectsEmbeddings)
    #expect(try ParameterLayout(config: standard).contains("model.decoder.final_layer_norm.weight"))
  }

  /// Column-parallel q/k/v and fc1 split their output rows, row-parallel out_proj and fc2 their
  /// input columns; q, k and v stay back to back so they form one [3·C/tp, C] matrix.
  @Test func tensorParallelShardsOfOPTWeights() throws {
    let config = GPTConfig(family: .opt, nLayer: 1, nHead: 4, dModel: 8, nCtx: 4, vocabSize: 11, ffnDim: 12)
    let layout = try ParameterLayout(config: config, tpRank: 1, tpSize: 2)
    let q = layout["model.decoder.layers.0.self_attn.q_proj.weight"]
    let k = layout["model.decoder.layers.0.self_attn.k_proj.weight"]
    let v = layout["model.decoder.layers.0.self_attn.v_proj.weight"]
    #expect(q.localShape == [4, 8] && q.runs.first!.global == 32)
    #expect(k.offset == q.offset + q.count && v.offset == k.offset + k.count)
    let kBias = layout["model.decoder.layers.0.self_attn.k_proj.bias"]
    #expect(
      kBias.localShape == [4] && kBias.offset == layout["model.decoder.layers.0.self_attn.q_proj.bias"].offset + 4)
    let out = layout["model.decoder.layers.0.self_attn.out_proj.weight"]
    #expect(out.localShape == [8, 4] && out.runs.count == 8 && out.runs[1].global == 12)
    #expect(layout["model.decoder.layers.0.fc1.weight"].localShape == [6, 8])
    #expect(layout["model.decoder.layers.0.fc2.weight"].localShape == [8, 6])
    #expect(layout["model.decoder.layers.0.fc2.bias"].sharding == .replicated)
    #expect(layout["model.decoder.embed_tokens.weight"].localShape == [6, 8])  // 11 padded to 12
  }

  @Test func postLayerNormAndProjectionsAreRejectedOutsideOPT() {
    var config = GPTConfig(nLayer: 2, nHead: 4, dModel: 32, nCtx: 16, vocabSize: 67)
    config.wordEmbedProjDim = 16
    #expect(throws: SwiftletError.self) { try config.validate() }
    config.wordEmbedProjDim = nil
    config.layerNorm = .post
    #expect(throws: SwiftletError.self) { try config.validate() }
    config.family = .opt
    #expect(throws: Never.self) { try config.validate() }
  }
}
