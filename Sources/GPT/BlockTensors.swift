import Kernels

/// A module's weight and bias: arena offsets (`Int`) or pointers into one arena (`FloatPointer`).
struct ModuleTensors<Location> {
  let weight: Location
  let bias: Location
}

/// One transformer block's parameter tensors by role, named as `ModelTensorNames.Block` names
/// them: the offsets once, and as pointers into the parameter or the gradient arena (they share
/// offsets) with `in(_:)`.
///
/// `qkv` is GPT-2's `c_attn` or OPT's `q_proj|k_proj|v_proj` packed into one `[3·Cl, C]`
/// matrix; `mlpNorm` is OPT's `final_layer_norm`, `mlpDown` GPT-2's `mlp.c_proj` or OPT's `fc2`.
struct BlockTensors<Location> {
  let attentionNorm: ModuleTensors<Location>
  let qkv: ModuleTensors<Location>
  let attentionOutput: ModuleTensors<Location>
  let mlpNorm: ModuleTensors<Location>
  let mlpUp: ModuleTensors<Location>
  let mlpDown: ModuleTensors<Location>

  /// The same tensors, each location transformed.
  func map<New>(_ transform: (Location) -> New) -> BlockTensors<New> {
    func each(_ module: ModuleTensors<Location>) -> ModuleTensors<New> {
      ModuleTensors(weight: transform(module.weight), bias: transform(module.bias))
    }
    return BlockTensors<New>(
      attentionNorm: each(attentionNorm), qkv: each(qkv), attentionOutput: each(attentionOutput),
      mlpNorm: each(mlpNorm), mlpUp: each(mlpUp), mlpDown: each(mlpDown))
  }
}

extension BlockTensors where Location == Int {
  /// The arena offsets of `block`'s tensors in `layout`.
  init(_ block: ModelTensorNames.Block, layout: ParameterLayout) {
    func module(_ name: String) -> ModuleTensors<Int> {
      ModuleTensors(weight: layout[name + ".weight"].offset, bias: layout[name + ".bias"].offset)
    }
    // Separate q, k, v tensors must sit back to back to act as one [3·Cl, C] matrix.
    for suffix in [".weight", ".bias"] {
      let parts = block.qkv.map { layout[$0 + suffix] }
      for (a, b) in zip(parts, parts.dropFirst()) {
        precondition(b.offset == a.offset + a.count, "\(b.name) must follow \(a.name) without a gap")
      }
    }
    self.init(
      attentionNorm: module(block.attentionNorm), qkv: module(block.qkv[0]),
      attentionOutput: module(block.attentionOutput), mlpNorm: module(block.mlpNorm), mlpUp: module(block.mlpUp),
      mlpDown: module(block.mlpDown))
  }

  /// The tensors in `arena`: the parameters, or their gradients.
  func `in`(_ arena: FloatPointer) -> BlockTensors<FloatPointer> { map { arena + $0 } }
}
