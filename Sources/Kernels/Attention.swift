import CKernels
import Foundation

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

  /// Query rows per block. Row block `[r0, r1)` only attends to keys `[0, r1)`, so the GEMMs skip
  /// most of the masked upper triangle (about half of the attention FLOPs at long T).
  static let blockRows = 128

  /// out[B, T, C], lse[B, H, T] ← attention(qkv[B, T, 3C])
  public func forward(
    out: FloatPointer, logSumExp: FloatPointer, qkv: UnsafePointer<Float>,
    scratch: FloatPointer, batch: Int, seqLen: Int
  ) {
    eachHead(batch: batch, seqLen: seqLen, scratch: scratch) { b, h, scores in
      forwardHead(b: b, h: h, out: out, logSumExp: logSumExp, qkv: qkv, scores: scores, seqLen: seqLen)
    }
    FlopCounter.addElementwise(Double(batch * heads * seqLen * (seqLen + 1) / 2) * 5)
  }

  /// One (sequence, head) of `forward`; returns its GEMM FLOPs.
  private func forwardHead(
    b: Int, h: Int, out: FloatPointer, logSumExp: FloatPointer, qkv: UnsafePointer<Float>,
    scores: FloatPointer, seqLen t: Int
  ) -> Double {
    let c = width
    let q = qkv + b * t * 3 * c + h * headDim
    let v = q + 2 * c
    let lse = logSumExp + (b * heads + h) * t
    return eachRowBlock(q: q, scores: scores, seqLen: t) { r0, r1 in
      // Softmax over each causal prefix, then O = P·V.
      for row in r0..<r1 {
        lse[row] = softmaxCausalRow(scores + row * t, length: row + 1, rowWidth: r1)
      }
      return uncountedGemm(
        out + (b * t + r0) * c + h * headDim, scores + r0 * t, v, m: r1 - r0, n: headDim, k: r1, lda: t, ldb: 3 * c,
        ldc: c)
    }
  }

  /// dqkv[B, T, 3C] ← backward of `forward`, given dout[B, T, C] and the forward's out and lse.
  /// Overwrites dqkv.
  public func backward(
    dqkv: FloatPointer, dout: UnsafePointer<Float>, qkv: UnsafePointer<Float>,
    out: UnsafePointer<Float>, logSumExp: UnsafePointer<Float>,
    scratch: FloatPointer, batch: Int, seqLen: Int
  ) {
    eachHead(batch: batch, seqLen: seqLen, scratch: scratch) { b, h, tiles in
      backwardHead(
        b: b, h: h, dqkv: dqkv, dout: dout, qkv: qkv, out: out, logSumExp: logSumExp, tiles: tiles, seqLen: seqLen)
    }
    FlopCounter.addElementwise(Double(batch * heads * seqLen * (seqLen + 1) / 2) * 8)
  }

  /// One (sequence, head) of `backward`; returns its GEMM FLOPs.
  private func backwardHead(
    b: Int, h: Int, dqkv: FloatPointer, dout: UnsafePointer<Float>, qkv: UnsafePointer<Float>,
    out: UnsafePointer<Float>, logSumExp: UnsafePointer<Float>, tiles: FloatPointer, seqLen t: Int
  ) -> Double {
    let c = width
    let probs = tiles
    let dprobs = tiles + t * t
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
    return eachRowBlock(q: q, scores: probs, seqLen: t) { r0, r1 in
      let rows = r1 - r0
      let p = probs + r0 * t
      let dp = dprobs + r0 * t
      var flops = 0.0
      // Recompute P = exp(S − lse) on the causal prefix, zero above it.
      for row in r0..<r1 {
        swiftlet_exp_row(probs + row * t, row + 1, r1, lse[row])
      }
      // dP = dO·Vᵀ
      flops += uncountedGemm(
        dp, dO + r0 * c, v, m: rows, n: r1, k: headDim, transposeB: true, lda: c, ldb: 3 * c, ldc: t)
      // dS = P ∘ (dP − rowsum(dO ∘ O)) · scale   (softmax backward; rowsum(P∘dP) = dO·O)
      for row in r0..<r1 {
        swiftlet_softmax_backward_row(
          dprobs + row * t, probs + row * t, o + row * c, dO + row * c, headDim, row + 1, r1, scale)
      }
      // Keys [r0, r1) are seen for the first time by this block: overwrite them, accumulate
      // into the earlier ones.
      if r0 > 0 {
        flops += uncountedGemm(
          dv, p, dO + r0 * c, m: r0, n: headDim, k: rows, transposeA: true, beta: 1, lda: t, ldb: c, ldc: 3 * c)
        flops += uncountedGemm(
          dk, dp, q + r0 * 3 * c, m: r0, n: headDim, k: rows, transposeA: true, beta: 1, lda: t, ldb: 3 * c, ldc: 3 * c)
      }
      // dV = Pᵀ·dO;  dK = dSᵀ·Q  (new key rows)
      flops += uncountedGemm(
        dv + r0 * 3 * c, p + r0, dO + r0 * c, m: rows, n: headDim, k: rows, transposeA: true, lda: t, ldb: c, ldc: 3 * c
      )
      flops += uncountedGemm(
        dk + r0 * 3 * c, dp + r0, q + r0 * 3 * c, m: rows, n: headDim, k: rows, transposeA: true, lda: t, ldb: 3 * c,
        ldc: 3 * c)
      // dQ = dS·K
      flops += uncountedGemm(dq + r0 * 3 * c, dp, k, m: rows, n: headDim, k: r1, lda: t, ldb: 3 * c, ldc: 3 * c)
      return flops
    }
  }

  /// Runs `body(r0, r1)` over one head's query row blocks `[r0, r1)`, each after the block's scores
  /// against keys `[0, r1)`, `scores[r0..<r1, 0..<r1] = S = Q·Kᵀ·scale` (`q` is the head's first
  /// query, its key `width` floats further); returns the GEMM FLOPs, the body's included.
  private func eachRowBlock(
    q: UnsafePointer<Float>, scores: FloatPointer, seqLen t: Int, _ body: (Int, Int) -> Double
  ) -> Double {
    let c = width
    var flops = 0.0
    for r0 in stride(from: 0, to: t, by: CausalAttention.blockRows) {
      let r1 = min(t, r0 + CausalAttention.blockRows)
      flops += uncountedGemm(
        scores + r0 * t, q + r0 * 3 * c, q + c, m: r1 - r0, n: r1, k: headDim, transposeB: true, alpha: scale,
        lda: 3 * c, ldb: 3 * c, ldc: t)
      flops += body(r0, r1)
    }
    return flops
  }

  /// Runs `body(b, h, tiles)` for every (sequence, head), each with `scratchCount` floats of
  /// tiles. With more than one kernel thread the heads are dealt round-robin to the threads,
  /// each with its own tiles (the caller's for the first, `extraScratch` for the rest) and
  /// OpenBLAS held to one thread: the per-head GEMMs are too small to split well inside BLAS.
  /// Each head is computed by the same code either way, so results do not depend on threads.
  private func eachHead(
    batch: Int, seqLen: Int, scratch: FloatPointer, _ body: (Int, Int, FloatPointer) -> Double
  ) {
    let pairs = batch * heads
    let workers = min(KernelThreads.count, pairs)
    if workers <= 1 {
      var flops = 0.0
      for i in 0..<pairs { flops += body(i / heads, i % heads, scratch) }
      FlopCounter.addMatmul(flops)
      return
    }
    let tile = CausalAttention.scratchCount(seqLen: seqLen)
    let arena = CausalAttention.takeScratch(count: (workers - 1) * tile)
    defer { CausalAttention.returnScratch(arena) }
    let extra = arena.base
    var flops = [Double](repeating: 0, count: workers)
    flops.withUnsafeMutableBufferPointer { perWorker in
      KernelThreads.withSingleThreadedBLAS {
        DispatchQueue.concurrentPerform(iterations: workers) { w in
          let tiles = w == 0 ? scratch : extra + (w - 1) * tile
          var i = w
          var done = 0.0
          while i < pairs {
            done += body(i / heads, i % heads, tiles)
            i += workers
          }
          perWorker[w] = done
        }
      }
    }
    FlopCounter.addMatmul(flops.reduce(0, +))
  }

  nonisolated(unsafe) private static var spareScratch: [FloatArena] = []
  private static let spareLock = NSLock()

  /// Tiles for the second and later attention threads, kept between calls; a pool so that
  /// concurrent callers (tests run in parallel) never share one.
  private static func takeScratch(count: Int) -> FloatArena {
    spareLock.lock()
    defer { spareLock.unlock() }
    if let i = spareScratch.firstIndex(where: { $0.count >= count }) { return spareScratch.remove(at: i) }
    return FloatArena(count: count)
  }

  private static func returnScratch(_ arena: FloatArena) {
    spareLock.lock()
    defer { spareLock.unlock() }
    spareScratch.removeAll { $0.count <= arena.count }  // keep the largest only
    spareScratch.append(arena)
  }
}

/// Softmax in place over `row[0..<length]`, zeroing `row[length..<rowWidth]`; returns the
/// row's log-sum-exp (NaN-keeping).
@inline(__always)
public func softmaxCausalRow(_ row: FloatPointer, length: Int, rowWidth: Int) -> Float {
  swiftlet_softmax_row(row, length, rowWidth)
}
