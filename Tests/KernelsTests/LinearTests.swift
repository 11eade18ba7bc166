import Kernels
import Testing

/// `linearForward` / `linearBackward` (Hugging Face `Conv1D` layout, y = x·W + b).
///
/// Tolerances: outputs and gradients are float32 dot products of length ≤ 11 of O(1) terms
/// (~1e-7 relative rounding each; measured ≤ 1.3e-7), compared with exact double references;
/// 2e-6 relative to the largest entry leaves a 10× margin while a wrong transpose, a dropped
/// bias or a missing accumulation gives errors of order 1.
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
    let error = measureError(out.array, expected)
    report("linear forward bias=\(withBias)", error)
    #expect(error.relative < 2e-6, "\(error)")
  }

  @Test(
    "linearBackward's dinp, dweight and dbias equal double finite differences of Σ dout·y",
    arguments: [false, true])
  func backwardMatchesFiniteDifferences(accumulateInput: Bool) {
    var random = SeededRandom(seed: accumulateInput ? 23 : 24)
    let x = random.floats(rows * inFeatures)
    let w = random.floats(inFeatures * outFeatures)
    let b = random.floats(outFeatures)
    let dout = random.floats(rows * outFeatures)
    // Non-zero starting gradients: dweight and dbias always accumulate, dinp only on request.
    let dinpStart = random.floats(rows * inFeatures)
    let dweightStart = random.floats(inFeatures * outFeatures)
    let dbiasStart = random.floats(outFeatures)
    let dinp = memory.buffer(dinpStart)
    let dweight = memory.buffer(dweightStart)
    let dbias = memory.buffer(dbiasStart)
    linearBackward(
      dinp: dinp.pointer, dweight: dweight.pointer, dbias: dbias.pointer,
      dout: memory.buffer(dout).pointer, inp: memory.buffer(x).pointer, weight: memory.buffer(w).pointer,
      rows: rows, inFeatures: inFeatures, outFeatures: outFeatures, accumulateInput: accumulateInput)

    let (xd, wd, bd) = (x.map(Double.init), w.map(Double.init), b.map(Double.init))
    let gradX = numericalGradient(at: xd) { weightedSum(reference($0, wd, bd), dout) }
    let gradW = numericalGradient(at: wd) { weightedSum(reference(xd, $0, bd), dout) }
    let gradB = numericalGradient(at: bd) { weightedSum(reference(xd, wd, $0), dout) }

    let addedX = accumulateInput ? difference(dinp.array, dinpStart) : dinp.array
    let errors = [
      ("dinp", measureError(addedX, gradX)),
      ("dweight", measureError(difference(dweight.array, dweightStart), gradW)),
      ("dbias", measureError(difference(dbias.array, dbiasStart), gradB)),
    ]
    for (name, error) in errors {
      report("linear backward \(name) accumulate=\(accumulateInput)", error)
      #expect(error.relative < 2e-6, "\(name): \(error)")
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
    for r in 0..<rows {
      for i in 0..<inFeatures {
        for o in 0..<outFeatures {
          expected[i * outFeatures + o] += Double(x[r * inFeatures + i]) * Double(dout[r * outFeatures + o])
        }
      }
    }
    let error = measureError(dweight.array, expected)
    #expect(error.relative < 2e-6, "\(error)")
  }
}
