import GPT

/// The parameter names and full shapes of a GPT-2-style model as docs/checkpoint-format.md stores
/// them: Hugging Face `GPT2LMHeadModel` state-dict names without the tied `lm_head.weight`.
///
/// `Conv1D` weights are `[in, out]` as in Hugging Face's files (`c_attn` is `[C, 3C]`).
public enum GPT2TensorNames {
  /// `(name, shape)` in state-dict order: embeddings, blocks 0 … L-1, final LayerNorm.
  public static func tensors(for config: GPTConfig) -> [(name: String, shape: [Int])] {
    let c = config.dModel
    let f = config.ffnDim
    var list: [(name: String, shape: [Int])] = [
      ("transformer.wte.weight", [config.vocabSize, c]),
      ("transformer.wpe.weight", [config.nCtx, c]),
    ]
    for layer in 0..<config.nLayer {
      let block = "transformer.h.\(layer)"
      list += [
        ("\(block).ln_1.weight", [c]), ("\(block).ln_1.bias", [c]),
        ("\(block).attn.c_attn.weight", [c, 3 * c]), ("\(block).attn.c_attn.bias", [3 * c]),
        ("\(block).attn.c_proj.weight", [c, c]), ("\(block).attn.c_proj.bias", [c]),
        ("\(block).ln_2.weight", [c]), ("\(block).ln_2.bias", [c]),
        ("\(block).mlp.c_fc.weight", [c, f]), ("\(block).mlp.c_fc.bias", [f]),
        ("\(block).mlp.c_proj.weight", [f, c]), ("\(block).mlp.c_proj.bias", [c]),
      ]
    }
    list += [("transformer.ln_f.weight", [c]), ("transformer.ln_f.bias", [c])]
    return list
  }
}
