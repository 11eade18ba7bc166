import Kernels
import TestSupport
import Testing

/// The small element-wise helpers: bias broadcast and its adjoint, residual, scaling, the
/// squared norm used for gradient clipping, and the finiteness check.
struct ElementwiseTests {
  let memory = TestMemory()

  /// addColumnSums is the backward of addRowVector (a bias broadcast over rows): the gradient
  /// of Σ w[r, c]·(x[r, c] + bias[c]) with respect to bias is Σ_r w[r, c]. Float sums of 9
  /// terms are exact to ~1e-7; 1e-6 relative catches a wrong stride or a missing row.
  @Test("addColumnSums accumulates the finite-difference bias gradient of addRowVector")
  func columnSumsAreTheBiasGradient() {
    let (rows, columns) = (9, 13)
    var random = SeededRandom(seed: 111)
    let x = random.floats(rows * columns)
    let bias = random.floats(columns)
    let dout = random.floats(rows * columns)

    let out = memory.buffer(x)
    addRowVector(out.pointer, memory.buffer(bias).pointer, rowCount: rows, width: columns)
    let forwardExpected = (0..<(rows * columns)).map { Double(x[$0]) + Double(bias[$0 % columns]) }
    let forwardError = measureError(out.array, forwardExpected)
    #expect(forwardError.relative < 1e-6, "addRowVector: \(forwardError)")

    let start = random.floats(columns)
    let sums = memory.buffer(start)
    addColumnSums(into: sums.pointer, memory.buffer(dout).pointer, rows: rows, columns: columns)
    let expected = numericalGradient(at: bias.map(Double.init)) { b in
      weightedSum((0..<(rows * columns)).map { Double(x[$0]) + b[$0 % columns] }, dout)
    }
    let error = measureError(difference(sums.array, start), expected)
    report("addColumnSums", error)
    #expect(error.relative < 1e-6, "\(error)")
  }

  @Test("residualForward, addInPlace and scaleInPlace compute a + b, x += y and x *= s")
  func simpleElementwiseOperations() {
    var random = SeededRandom(seed: 112)
    let count = 19
    let a = random.floats(count)
    let b = random.floats(count)
    let out = memory.buffer(repeating: Float.nan, count: count)
    let (aBuffer, bBuffer) = (memory.buffer(a), memory.buffer(b))
    residualForward(out: out.pointer, aBuffer.pointer, bBuffer.pointer, count: count)
    #expect(out.array == zip(a, b).map { $0 + $1 })
    addInPlace(aBuffer.pointer, bBuffer.pointer, count: count)
    #expect(aBuffer.array == out.array)
    scaleInPlace(bBuffer.pointer, by: -0.25, count: count)
    #expect(bBuffer.array == b.map { $0 * -0.25 })
  }

  /// Float32 partial sums over blocks of 1024 carry ~1e-7·√1024 relative error before the double
  /// total; 1e-6 relative is the bound. Counts exercise an empty input, the scalar tail only,
  /// several 1024 blocks and a block plus a tail.
  @Test("sumOfSquares equals the double-precision Σx²", arguments: [0, 5, 8, 1024, 3001])
  func sumOfSquaresMatchesDouble(count: Int) {
    var random = SeededRandom(seed: 113 + UInt64(count))
    let x = random.floats(count, in: -3...3)
    let result = sumOfSquares(memory.buffer(x).pointer, count: count)
    let expected = x.reduce(0.0) { $0 + Double($1) * Double($1) }
    let relative = expected > 0 ? abs(result - expected) / expected : abs(result)
    print("[KernelsTests] sumOfSquares n=\(count): rel \(formatted(relative))")
    #expect(abs(result - expected) <= 1e-6 * expected, "Σx² = \(result), expected \(expected)")
  }
}
