import Foundation
import Kernels
import TestSupport
import Testing

/// LayerNorm (ε = 1e-5, biased variance, as GPT-2) against a double-precision re-implementation.
///
/// Row 0 has a variance of ~3e-5, comparable to ε, so misplacing ε (e.g. 1/(σ + ε) instead of
/// 1/√(σ² + ε)) changes its outputs by ~10%; in the O(1) rows such a slip would be ~5e-6.
///
/// Tolerances (ErrorBounds), per row with rstd s and κ = mean|x|·s (how much centring cancels):
/// μ is a sum of C terms, |Δμ| ≤ γ_{C+1}·mean|x|; the variance Σ(x − μ)² is insensitive to Δμ to
/// first order, so s is within γ_{C+5} (sum, scale, + ε, √, ÷); then
///   out: |Δ| ≤ (γ_{C+1}·mean|x|·s + |x̂|·γ_{C+8})·|w| + γ₂·(|b| + |out|).
/// The backward combines two more row sums of C terms and the stored μ, s: each row is held to
/// γ_{2C+12}·(1 + κ) relative to the row's largest entry, plus the finite differences' truncation
/// (h·s)² relative (LayerNorm's third derivative scales as s³). A wrong formula term is O(1e-1).
struct LayerNormTests {
  let memory = TestMemory()
  let rows = 4
  let channels = 37  // not a multiple of 8

  struct Reference {
    var out: [Double]
    var mean: [Double]
    var rstd: [Double]
  }

  func reference(_ x: [Double], _ w: [Double], _ b: [Double]) -> Reference {
    var result = Reference(out: [], mean: [], rstd: [])
    let n = Double(channels)
    for r in 0..<rows {
      let row = x[(r * channels)..<((r + 1) * channels)]
      let mu = row.reduce(0, +) / n
      let variance = row.reduce(0) { $0 + ($1 - mu) * ($1 - mu) } / n
      let s = 1 / (variance + 1e-5).squareRoot()
      for (c, value) in row.enumerated() { result.out.append((value - mu) * s * w[c] + b[c]) }
      result.mean.append(mu)
      result.rstd.append(s)
    }
    return result
  }

  /// Inputs with a per-row spread and offset, so normalisation actually does something (row 0
  /// is narrow enough for ε to matter), then a weight near 1 and a bias per channel.
  func inputs(_ random: inout SeededRandom) -> (x: [Float], w: [Float], b: [Float]) {
    let spreads: [Float] = [0.01, 1, 2, 3]
    let offsets: [Float] = [0.005, 0.5, -1, 2]
    let x = (0..<rows).flatMap { r in random.floats(channels).map { $0 * spreads[r] + offsets[r] } }
    return (x, random.floats(channels, in: 0.5...1.5), random.floats(channels))
  }

  /// `layerNormForward` into buffers that start as NaN, so an entry it skips shows.
  func forward(_ x: [Float], _ w: [Float], _ b: [Float]) -> (
    out: TestBuffer<Float>, mean: TestBuffer<Float>, rstd: TestBuffer<Float>
  ) {
    let out = memory.buffer(repeating: Float.nan, count: rows * channels)
    let mean = memory.buffer(repeating: Float.nan, count: rows)
    let rstd = memory.buffer(repeating: Float.nan, count: rows)
    layerNormForward(
      out: out.pointer, mean: mean.pointer, rstd: rstd.pointer, inp: memory.buffer(x).pointer,
      weight: memory.buffer(w).pointer, bias: memory.buffer(b).pointer, rows: rows, channels: channels)
    return (out, mean, rstd)
  }

  @Test("the epsilon is GPT-2's 1e-5")
  func epsilonIsGPT2s() {
    #expect(layerNormEpsilon == 1e-5)
  }

  @Test("layerNormForward's out, mean and rstd match a double-precision LayerNorm")
  func forwardMatchesReference() {
    var random = SeededRandom(seed: 31)
    let (x, w, b) = inputs(&random)
    let (out, mean, rstd) = forward(x, w, b)
    let expected = reference(x.map(Double.init), w.map(Double.init), b.map(Double.init))
    let meanAbs = (0..<rows).map { r in
      x[(r * channels)..<((r + 1) * channels)].map { abs(Double($0)) }.reduce(0, +) / Double(channels)
    }
    let outBound = (0..<(rows * channels)).map { i -> Double in
      let (r, c) = (i / channels, i % channels)
      let xHat = (Double(x[i]) - expected.mean[r]) * expected.rstd[r]
      return
        (ErrorBounds.gamma(channels + 1) * meanAbs[r] * expected.rstd[r] + abs(xHat) * ErrorBounds.gamma(channels + 8))
        * abs(Double(w[c])) + ErrorBounds.gamma(2) * (abs(Double(b[c])) + abs(expected.out[i]))
    }
    for (name, actual, wanted, bound) in [
      ("out", out.array, expected.out, outBound),
      ("mean", mean.array, expected.mean, meanAbs.map { ErrorBounds.gamma(channels + 1) * $0 }),
      ("rstd", rstd.array, expected.rstd, expected.rstd.map { ErrorBounds.gamma(channels + 5) * $0 }),
    ] {
      expectWithinBound(
        "layernorm forward \(name)", actual, wanted, bound,
        error: measureErrorByRow(actual, wanted, rowLength: name == "out" ? channels : 1))
    }
  }

  @Test("layerNormBackward adds double finite-difference gradients to dinp, dweight and dbias")
  func backwardMatchesFiniteDifferences() {
    var random = SeededRandom(seed: 32)
    let (x, w, b) = inputs(&random)
    let dout = random.floats(rows * channels)
    let (_, mean, rstd) = forward(x, w, b)
    // The kernel accumulates into all three, so start from non-zero gradients.
    let starts = (random.floats(rows * channels), random.floats(channels), random.floats(channels))
    let dinp = memory.buffer(starts.0)
    let dweight = memory.buffer(starts.1)
    let dbias = memory.buffer(starts.2)
    layerNormBackward(
      dinp: dinp.pointer, dweight: dweight.pointer, dbias: dbias.pointer,
      dout: memory.buffer(dout).pointer, inp: memory.buffer(x).pointer, weight: memory.buffer(w).pointer,
      mean: mean.pointer, rstd: rstd.pointer, rows: rows, channels: channels)

    let (xd, wd, bd) = (x.map(Double.init), w.map(Double.init), b.map(Double.init))
    let gradients = [
      (
        "dinp", difference(dinp.array, starts.0),
        numericalGradient(at: xd) { weightedSum(reference($0, wd, bd).out, dout) }
      ),
      (
        "dweight", difference(dweight.array, starts.1),
        numericalGradient(at: wd) { weightedSum(reference(xd, $0, bd).out, dout) }
      ),
      (
        "dbias", difference(dbias.array, starts.2),
        numericalGradient(at: bd) { weightedSum(reference(xd, wd, $0).out, dout) }
      ),
    ]
    let forward = reference(xd, wd, bd)
    let kappa = (0..<rows).map { r in
      x[(r * channels)..<((r + 1) * channels)].map { abs(Double($0)) }.reduce(0, +) / Double(channels) * forward.rstd[r]
    }.max()!
    let truncation = pow(1e-5 * forward.rstd.max()!, 2)
    let relative = ErrorBounds.gamma(2 * channels + 12) * (1 + kappa) + truncation
    for (name, actual, expected) in gradients {
      // dinp row by row, as its rows scale with rstd; the parameter gradients are one vector.
      let error = measureErrorByRow(actual, expected, rowLength: name == "dinp" ? channels : actual.count)
      let ratio = error.relative / relative
      report("layernorm backward \(name)", error, ratio: ratio)
      #expect(ratio <= 1, "\(name): \(error), relative bound \(relative)")
    }
  }
}
