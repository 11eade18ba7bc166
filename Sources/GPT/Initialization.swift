import Kernels
import SwiftletCore

/// GPT-2 initialisation (Radford et al. 2019; Hugging Face `GPT2PreTrainedModel._init_weights`):
/// weights and embeddings ~ N(0, 0.02²), the two residual projections per block scaled by
/// 1/√(2·n_layer), biases 0, LayerNorm weights 1.
///
/// Element `i` of tensor `name` is `normal(CounterRNG(seed, name), i)` where `i` is its flat
/// index in the FULL tensor, so every parallel layout starts from identical weights.
public enum GPT2Initializer {
  public static let standardDeviation = 0.02

  public static func initialize(_ parameters: FloatArena, layout: ParameterLayout, seed: UInt64) {
    parameters.zero()
    let residualScale = 1 / (2 * Double(layout.config.nLayer)).squareRoot()
    for tensor in layout.tensors {
      let base = parameters.base + tensor.offset
      let name = tensor.name
      if name.hasSuffix("ln_1.weight") || name.hasSuffix("ln_2.weight") || name.hasSuffix("ln_f.weight") {
        base.update(repeating: 1, count: tensor.count)
      } else if name.hasSuffix(".bias") {
        continue  // already zero
      } else {
        var std = standardDeviation
        if name.hasSuffix("attn.c_proj.weight") || name.hasSuffix("mlp.c_proj.weight") {
          std *= residualScale
        }
        let rng = CounterRNG(seed: seed, name: name)
        for run in tensor.runs {
          for j in 0..<run.length {
            base[run.local + j] = Float(std * rng.normal(UInt64(run.global + j)))
          }
        }
      }
    }
  }
}
