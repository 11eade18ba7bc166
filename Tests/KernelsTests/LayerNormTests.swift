import Foundation
import Kernels
import Testing

/// LayerNorm (ε = 1e-5, biased variance, as GPT-2) against a double-precision re-implementation.
///
/// Row 0 has a variance of ~3e-5, comparable to ε, so misplacing ε (e.g. 1/(σ + ε) instead of
/// 1/√(σ² + ε)) changes its outputs by ~10%; in the O(1) rows such a slip would be ~5e-6.
///
/// Tolerances: the kernel's float32 mean/variance over C = 37 channels and the per-element
/// normalisation carry a few 1e-7 relative rounding (measured ≤ 2.3e-7); outputs are held to
/// 2e-6 relative to the largest reference entry. Gradients combine two row reductions and
/// subtract nearly equal terms, so they get 1e-5 (measured ≤ 1.8e-7). A wrong formula term is
/// O(1e-1) or worse.
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

  /// Inputs with a per-row spread and offset, so normalisation actually does something; row 0
  /// is narrow enough for ε to matter.
  func inputs(_ random: inout SeededRandom) -> [Float] {
    let spreads: [Float] = [0.01, 1, 2, 3]
    let offsets: [Float] = [0.005, 0.5, -1, 2]
    return (0..<rows).flatMap { r in random.floats(channels).map { $0 * spreads[r] + offsets[r] } }
  }

  @Test("the epsilon is GPT-2's 1e-5")
  func epsilonIsGPT2s() {
    #expect(layerNormEpsilon == 1e-5)
  }

  @Test("layerNormForward's out, mean and rstd match a double-precision LayerNorm")
  func forwardMatchesReference() {
    var random = SeededRandom(seed: 31)
    let x = inputs(&random)
    let w = random.floats(channels, in: 0.5...1.5)
    let b = random.floats(channels)
    let out = memory.buffer(repeating: Float.nan, count: rows * channels)
    let mean = memory.buffer(repeating: Float.nan, count: rows)
    let rstd = memory.buffer(repeating: Float.nan, count: rows)
    layerNormForward(
      out: out.pointer, mean: mean.pointer, rstd: rstd.pointer, inp: memory.buffer(x).pointer,
      weight: memory.buffer(w).pointer, bias: memory.buffer(b).pointer, rows: rows, channels: channels)
    let expected = reference(x.map(Double.init), w.map(Double.init), b.map(Double.init))
    // Row by row (rstd element by element): the narrow row's values are ~100× the others'.
    for (name, actual, wanted, rowLength) in [
      ("out", out.array, expected.out, channels), ("mean", mean.array, expected.mean, rows),
      ("rstd", rstd.array, expected.rstd, 1),
    ] {
      let error = measureErrorByRow(actual, wanted, rowLength: rowLength)
      report("layernorm forward \(name)", error)
      #expect(error.relative < 2e-6, "\(name): \(error)")
    }
  }

  @Test("layerNormBackward adds double finite-difference gradients to dinp, dweight and dbias")
  func backwardMatchesFiniteDifferences() {
    var random = SeededRandom(seed: 32)
    let x = inputs(&random)
    let w = random.floats(channels, in: 0.5...1.5)
    let b = random.floats(channels)
    let dout = random.floats(rows * channels)
    let out = memory.buffer(repeating: Float(0), count: rows * channels)
    let mean = memory.buffer(repeating: Float(0), count: rows)
    let rstd = memory.buffer(repeating: Float(0), count: rows)
    let (xBuffer, wBuffer) = (memory.buffer(x), memory.buffer(w))
    layerNormForward(
      out: out.pointer, mean: mean.pointer, rstd: rstd.pointer, inp: xBuffer.pointer,
      weight: wBuffer.pointer, bias: memory.buffer(b).pointer, rows: rows, channels: channels)
    // The kernel accumulates into all three, so start from non-zero gradients.
    let starts = (random.floats(rows * channels), random.floats(channels), random.floats(channels))
    let dinp = memory.buffer(starts.0)
    let dweight = memory.buffer(starts.1)
    let dbias = memory.buffer(starts.2)
    layerNormBackward(
      dinp: dinp.pointer, dweight: dweight.pointer, dbias: dbias.pointer,
      dout: memory.buffer(dout).pointer, inp: xBuffer.pointer, weight: wBuffer.pointer,
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
    for (name, actual, expected) in gradients {
      // dinp row by row, as its rows scale with rstd; the parameter gradients are one vector.
      let error = measureErrorByRow(actual, expected, rowLength: name == "dinp" ? channels : actual.count)
      report("layernorm backward \(name)", error)
      #expect(error.relative < 1e-5, "\(name): \(error)")
    }
  }
}
