import Kernels

/// Attention for one new position `p` of one sequence against a layer's key/value cache: stores
/// the position's key and value in the cache, then
///
///     out[h] = softmax(q_h · K_hᵀ / √d) · V_h   over the cached positions 0...p
///
/// with the kernels `CausalAttention` uses for row `p`, without recomputing the prefix.
struct CachedAttention: AttentionCore {
  let heads: Int
  let headDim: Int
  /// The layer's cache, `[n_ctx, C]` each; rows `0..<position` hold the earlier positions.
  let keys: FloatPointer
  let values: FloatPointer
  let position: Int
  /// At least `position + 1` floats.
  let scores: FloatPointer

  /// `qkv` is one row `[q | k | v]`; `scratch` is not used.
  func forward(
    out: FloatPointer, logSumExp: FloatPointer, qkv: UnsafePointer<Float>, scratch: FloatPointer, batch: Int,
    seqLen: Int
  ) {
    precondition(batch == 1 && seqLen == 1, "cached attention takes one position of one sequence")
    let (c, length) = (heads * headDim, position + 1)
    (keys + position * c).update(from: qkv + c, count: c)
    (values + position * c).update(from: qkv + 2 * c, count: c)
    let scale = 1 / Float(headDim).squareRoot()
    for h in 0..<heads {
      let head = h * headDim
      gemm(scores, qkv + head, keys + head, m: 1, n: length, k: headDim, transposeB: true, alpha: scale, ldb: c)
      logSumExp[h] = softmaxCausalRow(scores, length: length, rowWidth: length)
      gemm(out + head, scores, values + head, m: 1, n: headDim, k: length, ldb: c)
    }
  }
}
