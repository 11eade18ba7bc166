import Kernels
import TestSupport
import Testing

/// `gemm` against a double-precision triple loop, in all four transpose combinations.
///
/// Tolerance (ErrorBounds): each output is a dot product of K terms, scaled by alpha and added
/// to beta·C, so under any blocking/FMA |ĉᵢⱼ − cᵢⱼ| ≤ γ_{K+2}·(|α|·(|op(A)|·|op(B)|)ᵢⱼ + |β|·|cᵢⱼ|),
/// computed element by element in double. A misplaced stride, transpose, alpha or beta gives
/// errors of the order of the entries themselves.
struct GemmTests {
  let memory = TestMemory()
  /// Row-major operand with a leading dimension wider than its rows; the gap holds a sentinel
  /// that would swamp the result if the kernel ever read it.
  struct Operand {
    let rows: Int
    let columns: Int
    let leading: Int
    let storage: TestBuffer<Float>

    init(rows: Int, columns: Int, leading: Int, random: inout SeededRandom, memory: TestMemory) {
      self.rows = rows
      self.columns = columns
      self.leading = leading
      var values = [Float](repeating: 1e6, count: rows * leading)
      for r in 0..<rows {
        for c in 0..<columns { values[r * leading + c] = Float.random(in: -1...1, using: &random) }
      }
      storage = memory.buffer(values)
    }

    func element(_ r: Int, _ c: Int) -> Double { Double(storage[r * leading + c]) }
  }

  static let combinations = [(false, false), (false, true), (true, false), (true, true)]

  @Test(
    "gemm computes alpha·op(A)·op(B) + beta·C with explicit strides and leaves C's gap alone",
    arguments: combinations)
  func stridedGemmMatchesReference(transposeA: Bool, transposeB: Bool) {
    check(transposeA: transposeA, transposeB: transposeB, padding: 3, alpha: 0.75, beta: -0.5)
  }

  @Test("gemm's default leading dimensions are the dense widths", arguments: combinations)
  func denseGemmMatchesReference(transposeA: Bool, transposeB: Bool) {
    check(transposeA: transposeA, transposeB: transposeB, padding: 0, alpha: 1, beta: 0)
  }

  func check(transposeA: Bool, transposeB: Bool, padding: Int, alpha: Float, beta: Float) {
    var random = SeededRandom(seed: 11 + (transposeA ? 2 : 0) + (transposeB ? 1 : 0) + UInt64(padding) * 4)
    let (m, n, k) = (5, 7, 13)
    // Aᵀ is stored [K, M]; Bᵀ is stored [N, K] (the kernel's documented layouts).
    let a =
      transposeA
      ? Operand(rows: k, columns: m, leading: m + padding, random: &random, memory: memory)
      : Operand(rows: m, columns: k, leading: k + padding, random: &random, memory: memory)
    let b =
      transposeB
      ? Operand(rows: n, columns: k, leading: k + padding, random: &random, memory: memory)
      : Operand(rows: k, columns: n, leading: n + padding, random: &random, memory: memory)
    let c = Operand(rows: m, columns: n, leading: n + padding, random: &random, memory: memory)
    let before = c.storage.array

    var expected = [Double](repeating: 0, count: m * n)
    var bound = [Double](repeating: 0, count: m * n)
    for i in 0..<m {
      for j in 0..<n {
        var (dot, absolute) = (0.0, 0.0)
        for p in 0..<k {
          let term =
            (transposeA ? a.element(p, i) : a.element(i, p))
            * (transposeB ? b.element(j, p) : b.element(p, j))
          dot += term
          absolute += abs(term)
        }
        expected[i * n + j] = Double(alpha) * dot + Double(beta) * c.element(i, j)
        bound[i * n + j] =
          ErrorBounds.gamma(k + 2) * (abs(Double(alpha)) * absolute + abs(Double(beta) * c.element(i, j)))
      }
    }

    let explicit = padding > 0
    gemm(
      c.storage.pointer, a.storage.pointer, b.storage.pointer, m: m, n: n, k: k,
      transposeA: transposeA, transposeB: transposeB, alpha: alpha, beta: beta,
      lda: explicit ? a.leading : nil, ldb: explicit ? b.leading : nil, ldc: explicit ? c.leading : nil)

    let actual = (0..<m).flatMap { i in (0..<n).map { j in c.storage[i * c.leading + j] } }
    expectWithinBound("gemm tA=\(transposeA) tB=\(transposeB) pad=\(padding)", actual, expected, bound)
    for i in 0..<m {
      for j in n..<c.leading {
        #expect(c.storage[i * c.leading + j] == before[i * c.leading + j], "C gap written at (\(i), \(j))")
      }
    }
  }
}
