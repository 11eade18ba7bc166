import GPT
import Kernels
import Parallel

/// The global L2 norm of all gradients of the model, as one rank sees it after the
/// data-parallel allreduce (contract section 3: `clip_grad_norm_` over every parameter).
///
/// Tensor-parallel shards hold disjoint parts of the sharded tensors, so their squared norms are
/// summed across the tensor-parallel group; replicated tensors (LayerNorms, positions,
/// row-parallel biases) hold identical copies on every tp rank and are counted once.
public func globalGradientNorm(model: GPTModel) throws -> Double {
  var sharded: Double = 0
  var replicated: Double = 0
  let g = model.gradients.base
  for tensor in model.layout.tensors {
    let squares = sumOfSquares(g + tensor.offset, count: tensor.count)
    if tensor.sharding == .replicated { replicated += squares } else { sharded += squares }
  }
  if model.region.size > 1 {
    sharded = try model.region.group.allreduce(sharded)
  }
  return (sharded + replicated).squareRoot()
}
