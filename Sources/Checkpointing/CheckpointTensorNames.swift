import GPT

/// The `/model` tensors of a checkpoint of any family (docs/checkpoint-format.md): Hugging Face
/// state-dict names and full shapes, without the tied LM head, in `ParameterLayout`'s order.
///
/// GPT-2/GPT-3: `GPT2LMHeadModel` names with `Conv1D` weights `[in, out]` (`c_attn` is `[C, 3C]`).
/// OPT: `OPTForCausalLM` names, e.g. `model.decoder.layers.0.self_attn.q_proj.weight [C, C]`
/// with `nn.Linear` weights `[out, in]`.
public enum CheckpointTensorNames {
  public static func tensors(for config: GPTConfig) throws -> [(name: String, shape: [Int])] {
    try ParameterLayout(config: config).tensors.map { ($0.name, $0.fullShape) }
  }
}
