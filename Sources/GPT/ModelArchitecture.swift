import Kernels

/// The choices that tell the model families apart inside the model code, in one place.
///
/// | choice              | GPT-2 / GPT-3          | OPT (Hugging Face `OPTForCausalLM`)          |
/// |---------------------|------------------------|----------------------------------------------|
/// | MLP activation      | tanh GELU              | ReLU                                         |
/// | dense weights       | `Conv1D` `[in, out]`   | `nn.Linear` `[out, in]`                      |
/// | position rows       | `t`                    | `t + 2` (table of `n_ctx + 2` rows)          |
/// | LayerNorm placement | pre, final LayerNorm   | pre with final LayerNorm; opt-350m post, none |
/// | embedding width     | `d_model`              | `d_model`; opt-350m 512 with projections     |
public struct ModelArchitecture: Equatable, Sendable {
  public var activation: ActivationFunction
  public var weightLayout: WeightLayout
  /// Position `t` reads row `t + positionOffset` of the position table.
  public var positionOffset: Int
  public var layerNorm: GPTConfig.LayerNormPlacement
  /// Pre-LayerNorm models normalise the last block's output before the head.
  public var hasFinalLayerNorm: Bool { layerNorm == .pre }
}

extension GPTConfig {
  /// How this config's family computes.
  public var architecture: ModelArchitecture {
    switch family {
    case .gpt2, .gpt3:
      return ModelArchitecture(
        activation: .geluTanh, weightLayout: .inputMajor, positionOffset: 0, layerNorm: layerNorm)
    case .opt:
      return ModelArchitecture(activation: .relu, weightLayout: .outputMajor, positionOffset: 2, layerNorm: layerNorm)
    }
  }
}
