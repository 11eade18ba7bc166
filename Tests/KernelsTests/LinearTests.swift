import Kernels
import TestSupport
import Testing

/// `linearForward` / `linearBackward` (Hugging Face `Conv1D` layout, y = x·W + b).
///
/// Tolerances (ErrorBounds), element by element: y = x·W + b is a dot product over the input
/// features plus a bias, γ_{in+1}·(|x|·|W| + |b|); dinp = dout·Wᵀ sums over the outputs,
/// γ_out·|dout|·|W|ᵀ; dweight = xᵀ·dout and dbias = Σ dout sum over the rows, γ_rows·|x|ᵀ·|dout|
/// and γ_rows·Σ|dout|; accumulating into a start value and subtracting it again adds
/// γ₂·(|start| + 2|g|), and the finite differences add their own (exact-linear) rounding. A wrong
/// transpose, a dropped bias or a missing accumulation gives errors of the order of the entries.
struct LinearTests {
  let memory = TestMemory()
  let rows = 6
  let inFeatures = 5
  let outFeatures = 11

  /// Double-precision y = x·W + b.
  func reference(_ x: [Double], _ w: [Double], _ b: [Double]?) -> [Double] {
    var y = [Double](repeating: 0, count: rows * outFeatures)
    for r in 0..<rows {
      for o in 0..<outFeatures {
        var sum = b?[o] ?? 0
        for i in 0..<inFeatures { sum += x[r * inFeatures + i] * w[i * outFeatures + o] }
        y[r * outFeatures + o] = sum
      }
    }
    return y
  }

  @Test("linearForward matches x·W + b in double, with and without bias", arguments: [true, false])
  func forwardMatchesReference(withBias: Bool) {
    var random = SeededRandom(seed: withBias ? 21 : 22)
    let x = random.floats(rows * inFeatures)
    let w = random.floats(inFeatures * outFeatures)
    let b = random.floats(outFeatures)
    let out = memory.buffer(repeating: Float(99), count: rows * outFeatures)
    let bias = memory.buffer(b)
    linearForward(
      out: out.pointer, inp: memory.buffer(x).pointer, weight: memory.buffer(w).pointer,
      bias: withBias ? UnsafePointer(bias.pointer) : nil,
      rows: rows, inFeatures: inFeatures, outFeatures: outFeatures)
    let expected = reference(x.map(Double.init), w.map(Double.init), withBias ? b.map(Double.init) : nil)
    let absolute = reference(
      x.map { abs(Double($0)) }, w.map { abs(Double($0)) }, withBias ? b.map { abs(Double($0)) } : nil)
    let bound = absolute.map { ErrorBounds.gamma(inFeatures + 1) * $0 }
    expectWithinBound("linear forward bias=\(withBias)", out.array, expected, bound)
  }

  @Test("linearBackward's dinp, dweight and dbias equal double finite differences of Σ dout·y")
  func backwardMatchesFiniteDifferences() {
    var random = SeededRandom(seed: 24)
    let x = random.floats(rows * inFeatures)
    let w = random.floats(inFeatures * outFeatures)
    let b = random.floats(outFeatures)
    let dout = random.floats(rows * outFeatures)
    // Non-zero starting gradients: dweight and dbias accumulate, dinp is overwritten.
    let dinpStart = random.floats(rows * inFeatures)
    let dweightStart = random.floats(inFeatures * outFeatures)
    let dbiasStart = random.floats(outFeatures)
    let dinp = memory.buffer(dinpStart)
    let dweight = memory.buffer(dweightStart)
    let dbias = memory.buffer(dbiasStart)
    linearBackward(
      dinp: dinp.pointer, dweight: dweight.pointer, dbias: dbias.pointer,
      dout: memory.buffer(dout).pointer, inp: memory.buffer(x).pointer, weight: memory.buffer(w).pointer,
      rows: rows, inFeatures: inFeatures, outFeatures: outFeatures)

    let (xd, wd, bd) = (x.map(Double.init), w.map(Double.init), b.map(Double.init))
    let gradX = numericalGradient(at: xd) { weightedSum(reference($0, wd, bd), dout) }
    let gradW = numericalGradient(at: wd) { weightedSum(reference(xd, $0, bd), dout) }
    let gradB = numericalGradient(at: bd) { weightedSum(reference(xd, wd, $0), dout) }

    // Σ|terms| of each gradient entry, and the finite differences' error at Σ|dout·y|.
    var absX = [Double](repeating: 0, count: rows * inFeatures)
    var absW = [Double](repeating: 0, count: inFeatures * outFeatures)
    var absB = [Double](repeating: 0, count: outFeatures)
    for r in 0..<rows {
      for o in 0..<outFeatures {
        let d = abs(Double(dout[r * outFeatures + o]))
        absB[o] += d
        for i in 0..<inFeatures {
          absX[r * inFeatures + i] += d * abs(wd[i * outFeatures + o])
          absW[i * outFeatures + o] += d * abs(xd[r * inFeatures + i])
        }
      }
    }
    let objective = weightedSum(
      reference(xd.map(abs), wd.map(abs), bd.map(abs)), dout.map(abs))
    let fd = ErrorBounds.finiteDifferenceError(objectiveScale: objective)
    let boundX = absX.map { ErrorBounds.gamma(outFeatures) * $0 + fd }
    let boundW = absW.map { ErrorBounds.gamma(rows) * $0 + fd }
    let boundB = absB.map { ErrorBounds.gamma(rows) * $0 + fd }
    let checks = [
      ("dinp", dinp.array, gradX, boundX),
      (
        "dweight", difference(dweight.array, dweightStart), gradW,
        ErrorBounds.accumulated(boundW, start: dweightStart, added: gradW)
      ),
      (
        "dbias", difference(dbias.array, dbiasStart), gradB,
        ErrorBounds.accumulated(boundB, start: dbiasStart, added: gradB)
      ),
    ]
    for (name, actual, expected, bound) in checks {
      expectWithinBound("linear backward \(name)", actual, expected, bound)
    }
  }

  @Test("linearBackward without bias or input gradient touches only dweight")
  func backwardWithoutOptionalOutputs() {
    var random = SeededRandom(seed: 25)
    let x = random.floats(rows * inFeatures)
    let w = random.floats(inFeatures * outFeatures)
    let dout = random.floats(rows * outFeatures)
    let dweight = memory.buffer(repeating: Float(0), count: inFeatures * outFeatures)
    linearBackward(
      dinp: nil, dweight: dweight.pointer, dbias: nil, dout: memory.buffer(dout).pointer,
      inp: memory.buffer(x).pointer, weight: memory.buffer(w).pointer,
      rows: rows, inFeatures: inFeatures, outFeatures: outFeatures)
    var expected = [Double](repeating: 0, count: inFeatures * outFeatures)
    var bound = [Double](repeating: 0, count: inFeatures * outFeatures)
    for r in 0..<rows {
      for i in 0..<inFeatures {
        for o in 0..<outFeatures {
          let term = Double(x[r * inFeatures + i]) * Double(dout[r * outFeatures + o])
          expected[i * outFeatures + o] += term
          bound[i * outFeatures + o] += ErrorBounds.gamma(rows + 1) * abs(term)  // Σ over rows, + 0
        }
      }
    }
    let error = measureError(dweight.array, expected)
    let ratio = ErrorBounds.worstRatio(dweight.array, expected, bound)
    #expect(ratio <= 1, "\(error), error/bound \(ratio)")
  }
}
