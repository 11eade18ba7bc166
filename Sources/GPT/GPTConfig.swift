import SwiftletCore

/// The shape of a GPT-family transformer.
///
/// GPT-2 and GPT-3 share one architecture (pre-LayerNorm, GELU MLP, learned positions, tied LM
/// head); GPT-3's alternating sparse attention is not modelled, as in every open reproduction.
/// OPT differs in its MLP activation (ReLU), its `nn.Linear` weight layout, its position offset
/// of 2 and, for opt-350m, a post-LayerNorm block with 512-wide embeddings projected to the model
/// width (`ModelArchitecture` spells the differences out).
public struct GPTConfig: Equatable, Codable, Sendable {
  /// Which published architecture the shape follows.
  public enum Family: String, Codable, Sendable {
    case gpt2, gpt3, opt
  }

  /// Where a block's LayerNorms sit relative to its residual connections.
  public enum LayerNormPlacement: String, Codable, Sendable {
    /// `x + f(LN(x))`, with a final LayerNorm before the head (GPT-2, GPT-3, OPT except 350m).
    case pre
    /// `LN(x + f(x))`, no final LayerNorm (opt-350m: Hugging Face `do_layer_norm_before=False`).
    case post
  }

  public var family: Family
  /// Transformer blocks.
  public var nLayer: Int
  /// Attention heads per block.
  public var nHead: Int
  /// Residual stream width (C).
  public var dModel: Int
  /// Longest sequence the position table covers.
  public var nCtx: Int
  /// Real vocabulary size (50257 for GPT-2); kernels may pad it internally.
  public var vocabSize: Int
  /// MLP hidden width; 4 · dModel for every GPT-2/GPT-3/OPT preset.
  public var ffnDim: Int
  /// Pre- or post-LayerNorm blocks (only opt-350m is post).
  public var layerNorm: LayerNormPlacement
  /// Width of the token embedding when it differs from `dModel` (Hugging Face OPT's
  /// `word_embed_proj_dim`: 512 for opt-350m, with bias-free projections in and out of the
  /// residual width); nil means `dModel`.
  public var wordEmbedProjDim: Int?

  public init(
    family: Family = .gpt2, nLayer: Int, nHead: Int, dModel: Int, nCtx: Int, vocabSize: Int,
    ffnDim: Int? = nil, layerNorm: LayerNormPlacement = .pre, wordEmbedProjDim: Int? = nil
  ) {
    self.family = family
    self.nLayer = nLayer
    self.nHead = nHead
    self.dModel = dModel
    self.nCtx = nCtx
    self.vocabSize = vocabSize
    self.ffnDim = ffnDim ?? 4 * dModel
    self.layerNorm = layerNorm
    self.wordEmbedProjDim = wordEmbedProjDim
  }

  // Configs stored before `layerNorm` and `wordEmbedProjDim` existed decode with their defaults.
  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let dModel = try c.decode(Int.self, forKey: .dModel)
    self.init(
      family: try c.decode(Family.self, forKey: .family), nLayer: try c.decode(Int.self, forKey: .nLayer),
      nHead: try c.decode(Int.self, forKey: .nHead), dModel: dModel, nCtx: try c.decode(Int.self, forKey: .nCtx),
      vocabSize: try c.decode(Int.self, forKey: .vocabSize),
      ffnDim: try c.decodeIfPresent(Int.self, forKey: .ffnDim) ?? 4 * dModel,
      layerNorm: try c.decodeIfPresent(LayerNormPlacement.self, forKey: .layerNorm) ?? .pre,
      wordEmbedProjDim: try c.decodeIfPresent(Int.self, forKey: .wordEmbedProjDim))
  }

  /// Width of one attention head.
  public var headDim: Int { dModel / nHead }

  /// Width of the token embedding table (and of the tied head's input).
  public var embeddingDim: Int { wordEmbedProjDim ?? dModel }

  /// Whether token embeddings are projected into (and the last hidden state out of) `dModel`.
  public var projectsEmbeddings: Bool { embeddingDim != dModel }

  /// Rows of the learned position table: OPT keeps 2 unused leading rows (`n_ctx + 2`).
  public var positionRows: Int { nCtx + architecture.positionOffset }

  /// Checks that the shape is one a transformer can have.
  public func validate() throws {
    for (name, value) in [
      ("n_layer", nLayer), ("n_head", nHead), ("d_model", dModel), ("n_ctx", nCtx),
      ("vocab_size", vocabSize), ("ffn_dim", ffnDim), ("word_embed_proj_dim", embeddingDim),
    ] where value <= 0 {
      throw SwiftletError("model.\(name) must be positive, got \(value)")
    }
    if dModel % nHead != 0 {
      throw SwiftletError("model.d_model (\(dModel)) must be divisible by model.n_head (\(nHead))")
    }
    if family != .opt && (layerNorm != .pre || projectsEmbeddings) {
      throw SwiftletError(
        "post-LayerNorm blocks and model.word_embed_proj_dim are OPT features; use an opt-* preset")
    }
  }

  /// Number of trainable parameters N, with the tied LM head counted once.
  ///
  /// GPT-2/GPT-3: `V·C + n_ctx·C + L·(4C² + 2C·F + 9C + F) + 2C` (two LayerNorms, QKV, output
  /// projection and MLP per block, a final LayerNorm). OPT adds its 2 offset positions; opt-350m
  /// has an `E = 512`-wide token table (`V·E`), the projections in and out (`2·C·E`) and no final
  /// LayerNorm. Equals the element count of `ParameterLayout`'s tensors.
  public var parameterCount: Int {
    let c = dModel
    let f = ffnDim
    let perBlock = 4 * c * c + 2 * c * f + 9 * c + f
    let projections = projectsEmbeddings ? 2 * c * embeddingDim : 0
    let finalNorm = architecture.hasFinalLayerNorm ? 2 * c : 0
    return vocabSize * embeddingDim + positionRows * c + projections + nLayer * perBlock + finalNorm
  }
}

extension GPTConfig {
  /// Published model shapes by name.
  ///
  /// GPT-2: Radford et al. 2019 and OpenAI's released configs (n_ctx 1024, vocab 50257).
  /// GPT-3: Brown et al. 2020, Table 2.1 (n_ctx 2048); the 13B row's d_model is printed as
  /// 5140 in the paper, which is not divisible by its 40 heads of 128; 5120 is used. The XL
  /// row's 24 heads of 128 do not fit its d_model 2048; 32 heads of 64 are used, as in OPT-1.3b.
  /// OPT: Zhang et al. 2022, Table 1, and Hugging Face `facebook/opt-*` configs (vocab 50272).
  public static let presets: [String: GPTConfig] = {
    var table: [String: GPTConfig] = [:]
    func gpt2(_ name: String, _ l: Int, _ h: Int, _ c: Int) {
      table[name] = GPTConfig(family: .gpt2, nLayer: l, nHead: h, dModel: c, nCtx: 1024, vocabSize: 50257)
    }
    func gpt3(_ name: String, _ l: Int, _ h: Int, _ c: Int) {
      table[name] = GPTConfig(family: .gpt3, nLayer: l, nHead: h, dModel: c, nCtx: 2048, vocabSize: 50257)
    }
    func opt(_ name: String, _ l: Int, _ h: Int, _ c: Int) {
      table[name] = GPTConfig(family: .opt, nLayer: l, nHead: h, dModel: c, nCtx: 2048, vocabSize: 50272)
    }
    gpt2("gpt2-124M", 12, 12, 768)
    gpt2("gpt2-350M", 24, 16, 1024)
    gpt2("gpt2-774M", 36, 20, 1280)
    gpt2("gpt2-1558M", 48, 25, 1600)
    gpt3("gpt3-125M", 12, 12, 768)
    gpt3("gpt3-350M", 24, 16, 1024)
    gpt3("gpt3-760M", 24, 16, 1536)
    gpt3("gpt3-1.3B", 24, 32, 2048)
    gpt3("gpt3-2.7B", 32, 32, 2560)
    gpt3("gpt3-6.7B", 32, 32, 4096)
    gpt3("gpt3-13B", 40, 40, 5120)
    gpt3("gpt3-175B", 96, 96, 12288)
    opt("opt-125m", 12, 12, 768)
    opt("opt-350m", 24, 16, 1024)
    // facebook/opt-350m: do_layer_norm_before = false, word_embed_proj_dim = 512.
    table["opt-350m"]!.layerNorm = .post
    table["opt-350m"]!.wordEmbedProjDim = 512
    opt("opt-1.3b", 24, 32, 2048)
    opt("opt-2.7b", 32, 32, 2560)
    opt("opt-6.7b", 32, 32, 4096)
    opt("opt-13b", 40, 40, 5120)
    opt("opt-30b", 48, 56, 7168)
    opt("opt-66b", 64, 72, 9216)
    opt("opt-175b", 96, 96, 12288)
    return table
  }()

  /// The preset called `name`, or an error listing the known names.
  public static func preset(named name: String) throws -> GPTConfig {
    if let config = presets[name] { return config }
    // Accept case-insensitive spellings such as "GPT2-124m".
    if let match = presets.first(where: { $0.key.lowercased() == name.lowercased() }) {
      return match.value
    }
    throw SwiftletError(
      "unknown model preset '\(name)'; known presets: \(presets.keys.sorted().joined(separator: ", "))")
  }
}
