import CKernels
import TestSupport
import Testing

@testable import Kernels

/// The element-wise kernels' AVX2 and baseline paths, and the Swift kernels' thread splits, must
/// give the same bits (the results then do not depend on the CPU or the thread count, which
/// keeps resumed runs and layouts comparable across machines).
@Suite(.serialized)
struct KernelDispatchTests {
  /// Runs `body` once on each dispatch path and returns both results.
  func onBothPaths<R>(_ body: () -> R) -> (base: R, avx2: R) {
    swiftlet_kernels_set_avx2(0)
    let base = body()
    swiftlet_kernels_set_avx2(1)
    return (base, body())
  }

  func bits(_ x: [Float]) -> [UInt32] { x.map(\.bitPattern) }

  @Test(arguments: [1, 7, 8, 13, 1000])
  func elementwisePathsAgree(count: Int) {
    var rng = SeededRandom(seed: UInt64(count))
    let x = rng.floats(count, in: -6...6)
    let g = rng.floats(count)
    let gelu = onBothPaths { () -> [Float] in
      var out = [Float](repeating: 0, count: count)
      var recomputed = [Float](repeating: 0, count: count)
      var derivative = x
      var grad = g
      geluForward(out: &out, inp: x, count: count)
      geluForwardKeepingDerivative(out: &recomputed, x: &derivative, count: count)
      multiplyInPlace(&grad, derivative, count: count)
      return out + recomputed + grad
    }
    #expect(bits(gelu.base) == bits(gelu.avx2))

    // Cross-entropy over 3 rows of `count` columns, the last 2 columns padding when possible.
    let rows = 3
    let logits = rng.floats(rows * count, in: -10...10)
    let targets = rng.tokens(rows, below: count)
    let valid = max(1, count - 2)
    let ce = onBothPaths { () -> [Float] in
      var stats = [Float](repeating: 0, count: 3 * rows)
      var grad = logits
      stats.withUnsafeMutableBufferPointer { s in
        crossEntropyRowMax(s.baseAddress!, logits: logits, rows: rows, columns: count, validColumns: valid)
        crossEntropyRowSums(
          sumExp: s.baseAddress! + rows, targetLogit: s.baseAddress! + 2 * rows, logits: logits,
          rowMax: s.baseAddress!, targets: targets, firstColumn: 0, rows: rows, columns: count, validColumns: valid)
        crossEntropyBackwardInPlace(
          logits: &grad, rowMax: s.baseAddress!, sumExp: s.baseAddress! + rows, targets: targets,
          firstColumn: 0, rows: rows, columns: count, validColumns: valid, gradScale: 0.25)
      }
      return stats + grad
    }
    #expect(bits(ce.base) == bits(ce.avx2))

    // LayerNorm over 2 rows of `count` channels.
    let weight = rng.floats(count)
    let bias = rng.floats(count)
    let input = rng.floats(2 * count, in: -3...3)
    let dout = rng.floats(2 * count)
    let ln = onBothPaths { () -> [Float] in
      var out = [Float](repeating: 0, count: 2 * count)
      var mean = [Float](repeating: 0, count: 2)
      var rstd = [Float](repeating: 0, count: 2)
      var dinp = [Float](repeating: 0, count: 2 * count)
      var dweight = [Float](repeating: 0, count: count)
      var dbias = [Float](repeating: 0, count: count)
      layerNormForward(
        out: &out, mean: &mean, rstd: &rstd, inp: input, weight: weight, bias: bias, rows: 2, channels: count)
      layerNormBackward(
        dinp: &dinp, dweight: &dweight, dbias: &dbias, dout: dout, inp: input, weight: weight, mean: mean,
        rstd: rstd, rows: 2, channels: count)
      return out + mean + rstd + dinp + dweight + dbias
    }
    #expect(bits(ln.base) == bits(ln.avx2))
  }

  /// Only with one OpenBLAS thread (launch/run-tests.sh sets OPENBLAS_NUM_THREADS=1): the kernel
  /// threads then never resize OpenBLAS's pool, which is not safe while other suites call
  /// OpenBLAS or fork (MPI_Init) in parallel.
  @Test(.enabled(if: blasThreads == 1)) func threadCountDoesNotChangeResults() {
    let saved = KernelThreads.count
    defer { KernelThreads.count = saved }
    // Attention over more than one 128-row block, more heads than threads; GELU long enough to
    // be split.
    let batch = 2
    let heads = 3
    let headDim = 8
    let t = 200
    let attention = CausalAttention(heads: heads, headDim: headDim)
    let c = heads * headDim
    var rng = SeededRandom(seed: 42)
    let qkv = rng.floats(batch * t * 3 * c)
    let dout = rng.floats(batch * t * c)
    let geluInput = rng.floats(100_000, in: -5...5)
    func run(threads: Int) -> [Float] {
      KernelThreads.count = threads
      var out = [Float](repeating: 0, count: batch * t * c)
      var lse = [Float](repeating: 0, count: batch * heads * t)
      var dqkv = [Float](repeating: 0, count: batch * t * 3 * c)
      var scratch = [Float](repeating: 0, count: CausalAttention.scratchCount(seqLen: t))
      attention.forward(out: &out, logSumExp: &lse, qkv: qkv, scratch: &scratch, batch: batch, seqLen: t)
      attention.backward(
        dqkv: &dqkv, dout: dout, qkv: qkv, out: out, logSumExp: lse, scratch: &scratch, batch: batch, seqLen: t)
      var gelu = [Float](repeating: 0, count: geluInput.count)
      geluForward(out: &gelu, inp: geluInput, count: geluInput.count)
      return out + lse + dqkv + gelu
    }
    let one = run(threads: 1)
    let two = run(threads: 2)
    #expect(bits(one) == bits(two))
  }
}
