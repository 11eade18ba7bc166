import Foundation
import Kernels
import Testing

/// `CausalAttention` against an explicit double-precision softmax with a causal mask.
///
/// Sequence lengths 1, 7, 8 and 13 cover a single token, only the scalar tail of the row
/// exponentiation, exactly one SIMD block, and a block plus a tail.
///
/// Tolerances: outputs are float32 softmax-weighted sums of ≤ 13 values (rounding ~1e-7
/// relative, plus FastMath.exp's ulp; measured ≤ 1.3e-7), checked at 2e-6 relative to the
/// largest entry. The backward recomputes P from the stored log-sum-exp and chains four GEMMs
/// and a softmax backward that subtracts rowsum(dO∘O) (measured ≤ 2.1e-7); it is held to 1e-5,
/// tighter than the 1e-4 usually quoted for float-vs-double gradient checks because the double
/// finite differences here are exact to ~1e-9. Mask or scale mistakes give errors ≥ 1e-2.
struct AttentionTests {
  let memory = TestMemory()
  let batch = 2
  let heads = 2
  let headDim = 4
  var width: Int { heads * headDim }

  struct Reference {
    var out: [Double]
    var logSumExp: [Double]
  }

  /// out[b, t, h·D + d] = Σ_{j ≤ t} softmax_j(q_t·k_j / √D) · v_j[d]; lse[b, h, t].
  func reference(_ qkv: [Double], seqLen t: Int) -> Reference {
    let c = width
    let scale = 1 / Double(headDim).squareRoot()
    var result = Reference(
      out: [Double](repeating: 0, count: batch * t * c),
      logSumExp: [Double](repeating: 0, count: batch * heads * t))
    var scores = [Double](repeating: 0, count: t)
    for b in 0..<batch {
      for h in 0..<heads {
        func element(_ token: Int, _ part: Int, _ d: Int) -> Double {
          qkv[(b * t + token) * 3 * c + part * c + h * headDim + d]
        }
        for i in 0..<t {
          for j in 0..<t {
            var dot = 0.0
            for d in 0..<headDim { dot += element(i, 0, d) * element(j, 1, d) }
            scores[j] = j <= i ? dot * scale : -Double.infinity  // the causal mask
          }
          let maximum = scores.max()!
          let exps = scores.map { exp($0 - maximum) }
          let sum = exps.reduce(0, +)
          result.logSumExp[(b * heads + h) * t + i] = maximum + log(sum)
          for d in 0..<headDim {
            var value = 0.0
            for j in 0..<t { value += exps[j] / sum * element(j, 2, d) }
            result.out[(b * t + i) * c + h * headDim + d] = value
          }
        }
      }
    }
    return result
  }

  struct ForwardResult {
    let qkv: TestBuffer<Float>
    let out: TestBuffer<Float>
    let logSumExp: TestBuffer<Float>
    let scratch: TestBuffer<Float>
  }

  func runForward(_ qkv: [Float], seqLen t: Int) -> ForwardResult {
    let attention = CausalAttention(heads: heads, headDim: headDim)
    let result = ForwardResult(
      qkv: memory.buffer(qkv),
      out: memory.buffer(repeating: Float.nan, count: batch * t * width),
      logSumExp: memory.buffer(repeating: Float.nan, count: batch * heads * t),
      // Garbage in the scratch must not matter.
      scratch: memory.buffer(repeating: Float(5), count: CausalAttention.scratchCount(seqLen: t)))
    attention.forward(
      out: result.out.pointer, logSumExp: result.logSumExp.pointer, qkv: result.qkv.pointer,
      scratch: result.scratch.pointer, batch: batch, seqLen: t)
    return result
  }

  @Test("forward matches explicit causal softmax attention in double", arguments: [1, 7, 8, 13])
  func forwardMatchesReference(seqLen: Int) {
    var random = SeededRandom(seed: 50 + UInt64(seqLen))
    let qkv = random.floats(batch * seqLen * 3 * width, in: -2...2)
    let result = runForward(qkv, seqLen: seqLen)
    let expected = reference(qkv.map(Double.init), seqLen: seqLen)
    for (name, actual, wanted) in [
      ("out", result.out.array, expected.out), ("lse", result.logSumExp.array, expected.logSumExp),
    ] {
      let error = measureError(actual, wanted)
      report("attention forward \(name) T=\(seqLen)", error)
      #expect(error.relative < 2e-6, "\(name) T=\(seqLen): \(error)")
    }
  }

  @Test(
    "backward's dqkv equals double finite differences through the whole forward", arguments: [1, 7, 8, 13])
  func backwardMatchesFiniteDifferences(seqLen: Int) {
    var random = SeededRandom(seed: 60 + UInt64(seqLen))
    let qkv = random.floats(batch * seqLen * 3 * width, in: -2...2)
    let dout = random.floats(batch * seqLen * width)
    let forward = runForward(qkv, seqLen: seqLen)
    let dqkv = memory.buffer(repeating: Float(7), count: qkv.count)  // overwritten, not accumulated
    CausalAttention(heads: heads, headDim: headDim).backward(
      dqkv: dqkv.pointer, dout: memory.buffer(dout).pointer, qkv: forward.qkv.pointer,
      out: forward.out.pointer, logSumExp: forward.logSumExp.pointer, scratch: forward.scratch.pointer,
      batch: batch, seqLen: seqLen)
    let expected = numericalGradient(at: qkv.map(Double.init)) {
      weightedSum(reference($0, seqLen: seqLen).out, dout)
    }
    let error = measureError(dqkv.array, expected)
    report("attention backward dqkv T=\(seqLen)", error)
    #expect(error.relative < 1e-5, "T=\(seqLen): \(error)")
  }
}
