import Kernels
import SwiftletCore

/// The published initialisation of each family: weights and embeddings ~ N(0, σ²), the two
/// residual projections per block (attention output, MLP down) scaled by 1/√(2·n_layer),
/// biases 0, LayerNorm weights 1 and biases 0.
///
/// - GPT-2/GPT-3: σ = 0.02 (Radford et al. 2019; Hugging Face `GPT2PreTrainedModel._init_weights`).
/// - OPT: σ = 0.006 (Zhang et al. 2022, section 2.2, following Megatron-LM). Hugging Face's
///   `OPTPreTrainedModel` uses 0.02 without the residual scaling; the paper's choice is kept.
///
/// Element `i` of tensor `name` is `normal(CounterRNG(seed, name), i)` where `i` is its flat
/// index in the FULL tensor, so every parallel layout starts from identical weights.
public enum ModelInitializer {
  public static func initialize(_ parameters: FloatArena, layout: ParameterLayout, seed: UInt64) {
    parameters.zero()
    let std = layout.config.family == .opt ? 0.006 : 0.02
    let residualScale = 1 / (2 * Double(layout.config.nLayer)).squareRoot()
    for tensor in layout.tensors {
      let base = parameters.base + tensor.offset
      switch tensor.role {
      case .normWeight:
        base.update(repeating: 1, count: tensor.count)
      case .bias, .normBias:
        continue  // already zero
      case .embedding, .weight, .residualProjection:
        let scaled = tensor.role == .residualProjection ? std * residualScale : std
        let rng = CounterRNG(seed: seed, name: tensor.name)
        for run in tensor.runs {
          for j in 0..<run.length {
            base[run.local + j] = Float(scaled * rng.normal(UInt64(run.global + j)))
          }
        }
      }
    }
  }
}
