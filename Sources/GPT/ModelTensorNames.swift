/// The Hugging Face state-dict names of a model's parameters (docs/checkpoint-format.md), by role.
///
/// Names are module paths: append `.weight` or `.bias`. GPT-2 and GPT-3 use
/// `GPT2LMHeadModel`'s names; OPT uses `OPTForCausalLM`'s (`model.decoder.…`), whose attention
/// has separate `q_proj`, `k_proj`, `v_proj` modules where GPT-2 has one `c_attn`.
public struct ModelTensorNames: Sendable {
  /// One block's modules.
  public struct Block: Sendable {
    public let attentionNorm: String
    /// `[c_attn]` (GPT-2) or `[q_proj, k_proj, v_proj]` (OPT): together they produce q|k|v.
    public let qkv: [String]
    public let attentionOutput: String
    public let mlpNorm: String
    public let mlpUp: String
    public let mlpDown: String
  }

  public let tokenEmbedding: String
  public let positionEmbedding: String
  /// LayerNorm after the last block (pre-LayerNorm models only).
  public let finalNorm: String
  /// Bias-free projections between the token-embedding width and `d_model` (OPT only; used when
  /// `GPTConfig.projectsEmbeddings`, as in opt-350m).
  public let projectIn: String?
  public let projectOut: String?
  private let family: GPTConfig.Family

  public init(family: GPTConfig.Family) {
    self.family = family
    switch family {
    case .gpt2, .gpt3:
      tokenEmbedding = "transformer.wte"
      positionEmbedding = "transformer.wpe"
      finalNorm = "transformer.ln_f"
      projectIn = nil
      projectOut = nil
    case .opt:
      tokenEmbedding = "model.decoder.embed_tokens"
      positionEmbedding = "model.decoder.embed_positions"
      finalNorm = "model.decoder.final_layer_norm"
      projectIn = "model.decoder.project_in"
      projectOut = "model.decoder.project_out"
    }
  }

  /// Block `i`'s module names.
  public func block(_ i: Int) -> Block {
    switch family {
    case .gpt2, .gpt3:
      let p = "transformer.h.\(i)."
      return Block(
        attentionNorm: p + "ln_1", qkv: [p + "attn.c_attn"], attentionOutput: p + "attn.c_proj",
        mlpNorm: p + "ln_2", mlpUp: p + "mlp.c_fc", mlpDown: p + "mlp.c_proj")
    case .opt:
      let p = "model.decoder.layers.\(i)."
      return Block(
        attentionNorm: p + "self_attn_layer_norm",
        qkv: [p + "self_attn.q_proj", p + "self_attn.k_proj", p + "self_attn.v_proj"],
        attentionOutput: p + "self_attn.out_proj", mlpNorm: p + "final_layer_norm", mlpUp: p + "fc1",
        mlpDown: p + "fc2")
    }
  }
}
