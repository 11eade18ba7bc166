/// Causal multi-head self-attention, computed head by head with GEMMs.
///
/// Memory: no `B·H·T·T` probabilities are kept for the backward pass. The forward stores only
/// each row's log-sum-exp (`B·H·T` floats); the backward recomputes the scores one head at a
/// time in a `T×T` scratch, as FlashAttention does in tiles (Dao et al. 2022).
///
/// Layout: `qkv[B, T, 3·C]` holds per token `[q | k | v]`, each `C = heads·headDim` wide with
/// heads contiguous; `out[B, T, C]` concatenates the heads.
public struct CausalAttention {
  public let heads: Int
  public let headDim: Int
  public let scale: Float

  public init(heads: Int, headDim: Int) {
    self.heads = heads
    self.headDim = headDim
    self.scale = 1 / Float(headDim).squareRoot()
  }

  var width: Int { heads * headDim }

  /// Floats of scratch the forward and backward passes need (two `T×T` tiles).
  public static func scratchCount(seqLen: Int) -> Int { 2 * seqLen * seqLen }

  /// out[B, T, C], lse[B, H, T] ← attention(qkv[B, T, 3C])
  public func forward(
    out: FloatPointer, logSumExp: FloatPointer, qkv: UnsafePointer<Float>,
    scratch: FloatPointer, batch: Int, seqLen: Int
  ) {
    let c = width
    let t = seqLen
    let scores = scratch
    for b in 0..<batch {
      for h in 0..<heads {
        let q = qkv + b * t * 3 * c + h * headDim
        let k = q + c
        let v = q + 2 * c
        // S = Q·Kᵀ·scale; P = softmax over the causal prefix of each row.
        gemm(scores, q, k, m: t, n: t, k: headDim, transposeB: true, alpha: scale, lda: 3 * c, ldb: 3 * c)
        let lse = logSumExp + (b * heads + h) * t
        for row in 0..<t {
          lse[row] = softmaxCausalRow(scores + row * t, length: row + 1, rowWidth: t)
        }
        gemm(out + b * t * c + h * headDim, scores, v, m: t, n: headDim, k: t, ldb: 3 * c, ldc: c)
      }
    }
    FlopCounter.addElementwise(Double(batch * heads * t * t) * 3)
  }

  /// dqkv[B, T, 3C] ← backward of `forward`, given dout[B, T, C] and the forward's out and lse.
  /// Overwrites dqkv.
  public func backward(
    dqkv: FloatPointer, dout: UnsafePointer<Float>, qkv: UnsafePointer<Float>,
    out: UnsafePointer<Float>, logSumExp: UnsafePointer<Float>,
    scratch: FloatPointer, batch: Int, seqLen: Int
  ) {
    let c = width
    let t = seqLen
    let probs = scratch
    let dprobs = scratch + t * t
    for b in 0..<batch {
      for h in 0..<heads {
        let offset = b * t * 3 * c + h * headDim
        let q = qkv + offset
        let k = q + c
        let v = q + 2 * c
        let dq = dqkv + offset
        let dk = dq + c
        let dv = dq + 2 * c
        let o = out + b * t * c + h * headDim
        let dO = dout + b * t * c + h * headDim
        let lse = logSumExp + (b * heads + h) * t

        // Recompute P = exp(Q·Kᵀ·scale − lse) on the causal prefix, zero above it.
        gemm(probs, q, k, m: t, n: t, k: headDim, transposeB: true, alpha: scale, lda: 3 * c, ldb: 3 * c)
        for row in 0..<t {
          exponentiateRow(probs + row * t, length: row + 1, rowWidth: t, shift: lse[row])
        }
        // dV = Pᵀ·dO;  dP = dO·Vᵀ
        gemm(dv, probs, dO, m: t, n: headDim, k: t, transposeA: true, ldb: c, ldc: 3 * c)
        gemm(dprobs, dO, v, m: t, n: t, k: headDim, transposeB: true, lda: c, ldb: 3 * c)
        // dS = P ∘ (dP − rowsum(dO ∘ O)) · scale   (softmax backward; rowsum(P∘dP) = dO·O)
        for row in 0..<t {
          var dot: Float = 0
          let oRow = o + row * c
          let dORow = dO + row * c
          for d in 0..<headDim { dot += oRow[d] * dORow[d] }
          let p = probs + row * t
          let dp = dprobs + row * t
          for j in 0...row {
            dp[j] = p[j] * (dp[j] - dot) * scale
          }
          for j in (row + 1)..<t where j < t {
            dp[j] = 0
          }
        }
        // dQ = dS·K;  dK = dSᵀ·Q
        gemm(dq, dprobs, k, m: t, n: headDim, k: t, ldb: 3 * c, ldc: 3 * c)
        gemm(dk, dprobs, q, m: t, n: headDim, k: t, transposeA: true, ldb: 3 * c, ldc: 3 * c)
      }
    }
    FlopCounter.addElementwise(Double(batch * heads * t * t) * 5)
  }
}

/// Softmax in place over `row[0..<length]`, zeroing `row[length..<rowWidth]`; returns the
/// row's log-sum-exp.
@inline(__always)
func softmaxCausalRow(_ row: FloatPointer, length: Int, rowWidth: Int) -> Float {
  var maximum = -Float.infinity
  for j in 0..<length { maximum = max(maximum, row[j]) }
  let sum = exponentiateRow(row, length: length, rowWidth: rowWidth, shift: maximum)
  let inverse = 1 / sum
  for j in 0..<length { row[j] *= inverse }
  return maximum + log(sum)
}

/// row[j] ← exp(row[j] − shift) for j < length, 0 beyond; returns the sum.
@inline(__always)
@discardableResult
func exponentiateRow(_ row: FloatPointer, length: Int, rowWidth: Int, shift: Float) -> Float {
  var sum = FastMath.Vector(repeating: 0)
  var j = 0
  let shiftVector = FastMath.Vector(repeating: shift)
  while j + 8 <= length {
    let x = UnsafeRawPointer(row + j).loadUnaligned(as: FastMath.Vector.self)
    let e = FastMath.exp(x - shiftVector)
    UnsafeMutableRawPointer(row + j).storeBytes(of: e, as: FastMath.Vector.self)
    sum += e
    j += 8
  }
  var total = sum.sum()
  while j < length {
    let e = FastMath.exp(row[j] - shift)
    row[j] = e
    total += e
    j += 1
  }
  if length < rowWidth {
    (row + length).update(repeating: 0, count: rowWidth - length)
  }
  return total
}

#if canImport(Glibc)
  import Glibc
#endif
