import GPT
import Kernels
import Parallel

/// The global L2 norm of all gradients of the model, as one rank sees it after the
/// data-parallel allreduce (docs/configuration.md: `clip_grad_norm_` over every parameter).
///
/// Tensor-parallel shards hold disjoint parts of the sharded tensors, so their squared norms are
/// summed across the tensor-parallel group; replicated tensors (LayerNorms, positions,
/// row-parallel biases) hold identical copies on every tp rank and are counted once.
///
/// Under ZeRO-1 (`owned` given) a rank holds summed gradients only for the tensors starting in
/// its owned range: it sums those, and the owners' sums are added over the data-parallel group.
///
/// Pipeline stages hold disjoint layers: their sums are added over `pipeline`, the last stage's
/// copy of the tied token embedding left out (the first stage counts it).
public func globalGradientNorm(model: GPTModel, grid: ProcessGrid, owned: Range<Int>? = nil) throws -> Double {
  var sharded: Double = 0
  var replicated: Double = 0
  let g = model.gradients.base
  let tiedCopy = model.stage.holdsTiedCopy ? model.layout.names.tokenEmbedding + ".weight" : nil
  for tensor in model.layout.tensors where owned?.contains(tensor.offset) ?? true {
    if tensor.name == tiedCopy { continue }
    let squares = sumOfSquares(g + tensor.offset, count: tensor.count)
    if tensor.sharding == .replicated { replicated += squares } else { sharded += squares }
  }
  (sharded, replicated) = try grid.sumSquares(sharded: sharded, replicated: replicated, overOwners: owned != nil)
  return (sharded + replicated).squareRoot()
}
