import Foundation
import Kernels
import TestSupport
import Testing

/// `CausalAttention` against an explicit double-precision softmax with a causal mask.
///
/// Sequence lengths 1, 7, 8 and 13 cover a single token, only the scalar tail of the row
/// exponentiation, exactly one SIMD block, and a block plus a tail.
///
/// Tolerances (ErrorBounds). A score q·k/√D carries δ ≤ γ_{D+1}·Σ|q_d·k_d|/√D; with A the
/// largest δ of a row, every exp(s − max) is off by a factor within e^{±2A}·(1 ± γ₅) (2-ulp exp),
/// so each probability has relative error ρ = 2·(2A + γ₅) + γ_{T+1} (Σ over T, divide), and
///   out: |Δ| ≤ (ρ + γ_T)·Σⱼ pⱼ·|vⱼ|  (element-wise, any order of the P·V sum),
///   lse: |Δ| ≤ 2A + γ_{T+6} + γ₃·|lse|.
/// The backward recomputes P and chains dP = dO·Vᵀ (D), softmax′ (row sum over T), dQ, dK, dV
/// (sums over T): relative to ‖dqkv‖∞ it is held to 2A + γ of the whole chain (D + 1 + T + 6 + T
/// forward, D + 2T + 4 backward), the same stage-sum model as GPTTests/ErrorBounds.swift, plus the
/// finite differences' error. Mask or scale mistakes give errors of the order of the entries.
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
    let bounds = forwardBounds(qkv.map(Double.init), seqLen: seqLen, logSumExp: expected.logSumExp)
    for (name, actual, wanted, bound) in [
      ("out", result.out.array, expected.out, bounds.out),
      ("lse", result.logSumExp.array, expected.logSumExp, bounds.logSumExp),
    ] {
      expectWithinBound("attention forward \(name) T=\(seqLen)", actual, wanted, bound)
    }
  }

  /// Per row, A = γ_{D+1}·max_j Σ|q·k|/√D; the element-wise out and lse bounds above.
  func forwardBounds(_ qkv: [Double], seqLen t: Int, logSumExp: [Double]) -> (
    out: [Double], logSumExp: [Double], worstA: Double
  ) {
    let c = width
    let scale = 1 / Double(headDim).squareRoot()
    var out = [Double](repeating: 0, count: batch * t * c)
    var lse = [Double](repeating: 0, count: batch * heads * t)
    var worstA = 0.0
    for b in 0..<batch {
      for h in 0..<heads {
        func element(_ token: Int, _ part: Int, _ d: Int) -> Double {
          qkv[(b * t + token) * 3 * c + part * c + h * headDim + d]
        }
        for i in 0..<t {
          var scores = [Double](repeating: 0, count: i + 1)
          var a = 0.0
          for j in 0...i {
            var (dot, absolute) = (0.0, 0.0)
            for d in 0..<headDim {
              dot += element(i, 0, d) * element(j, 1, d)
              absolute += abs(element(i, 0, d) * element(j, 1, d))
            }
            scores[j] = dot * scale
            a = max(a, ErrorBounds.gamma(headDim + 1) * absolute * scale)
          }
          worstA = max(worstA, a)
          let maximum = scores.max()!
          let exps = scores.map { exp($0 - maximum) }
          let sum = exps.reduce(0, +)
          let rho = 2 * (2 * a + ErrorBounds.gamma(5)) + ErrorBounds.gamma(t + 1)
          let row = (b * heads + h) * t + i
          lse[row] = 2 * a + ErrorBounds.gamma(t + 6) + ErrorBounds.gamma(3) * abs(logSumExp[row])
          for d in 0..<headDim {
            let weighted = (0...i).map { exps[$0] / sum * abs(element($0, 2, d)) }.reduce(0, +)
            out[(b * t + i) * c + h * headDim + d] = (rho + ErrorBounds.gamma(t)) * weighted
          }
        }
      }
    }
    return (out, lse, worstA)
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
    let (d, t) = (headDim, seqLen)
    let a = forwardBounds(
      qkv.map(Double.init), seqLen: t, logSumExp: reference(qkv.map(Double.init), seqLen: t).logSumExp
    ).worstA
    let relative = 2 * a + ErrorBounds.gamma((d + 1) + (t + 6) + t + (d + 2 * t + 4))
    // |Σ dout·out| ≤ Σ|dout|·max|v| ≤ 2·Σ|dout|; softmax attention's third derivative in the
    // inputs is bounded by ~(max|k|·max|q|)³-scale terms ≤ 100 for entries in [-2, 2], D = 4.
    let fd = ErrorBounds.finiteDifferenceError(
      objectiveScale: 2 * dout.map { abs(Double($0)) }.reduce(0, +), thirdDerivative: 100)
    let bound = relative * error.scale + fd
    let ratio = error.maxAbsolute / bound
    report("attention backward dqkv T=\(seqLen)", error, ratio: ratio)
    #expect(ratio <= 1, "T=\(seqLen): \(error), bound \(bound)")
  }
}
