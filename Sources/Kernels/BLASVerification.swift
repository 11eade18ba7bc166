import CBLAS

/// Checks the loaded OpenBLAS kernel's `sgemm` against a double-precision reference on the shapes
/// the model uses (reduction lengths d_model and 4·d_model) and on small, odd and transposed ones.
///
/// Each element must satisfy the deterministic bound for a float32 dot product of length k in any
/// summation order, with or without FMA (Higham, Accuracy and Stability of Numerical Algorithms,
/// 2nd ed., eq. 3.5): |ĉ − c| ≤ γ(k+2) · (|α|·Σ|a||b| + |β|·|c₀|), γ(n) = n·u / (1 − n·u),
/// u = 2⁻²⁴. A kernel that is merely reordering its sums always passes; a wrong kernel fails by
/// orders of magnitude.
public enum BLASVerification {
  /// The outcome of one verification.
  public struct Result: Sendable {
    public var passed: Bool
    /// Shapes checked.
    public var cases: Int
    /// Largest |error| / bound over all elements (≤ 1 passes).
    public var worstRatio: Double
    /// The first failing case, described.
    public var failure: String?
  }

  struct Case {
    var m: Int, n: Int, k: Int
    var transposeA: Bool, transposeB: Bool
    var alpha: Float, beta: Float
    /// Extra columns in each stored row (leading dimension > width).
    var padding: Int
  }

  static let cases: [Case] = [
    Case(m: 1, n: 1, k: 1, transposeA: false, transposeB: false, alpha: 1, beta: 0, padding: 0),
    Case(m: 7, n: 5, k: 3, transposeA: false, transposeB: false, alpha: 1, beta: 0, padding: 0),
    Case(m: 33, n: 65, k: 17, transposeA: false, transposeB: true, alpha: 1, beta: 1, padding: 3),
    Case(m: 31, n: 17, k: 129, transposeA: true, transposeB: false, alpha: 0.5, beta: 0, padding: 1),
    Case(m: 19, n: 23, k: 64, transposeA: true, transposeB: true, alpha: -1, beta: 0.25, padding: 0),
    // Reduction lengths of GPT-2 small: d_model (QKV, projections) and 4·d_model (MLP down).
    Case(m: 24, n: 72, k: 768, transposeA: false, transposeB: false, alpha: 1, beta: 0, padding: 0),
    Case(m: 17, n: 40, k: 3072, transposeA: false, transposeB: true, alpha: 1, beta: 1, padding: 0),
    // Weight gradients: Aᵀ·B over the batch × sequence rows.
    Case(m: 48, n: 40, k: 256, transposeA: true, transposeB: false, alpha: 1, beta: 1, padding: 0),
  ]

  /// Runs every case. `corrupt` perturbs one result (a test hook standing in for a wrong kernel).
  public static func run(corrupt: Bool = false) -> Result {
    var worst = 0.0
    for (index, test) in cases.enumerated() {
      let ratio = check(test, seed: UInt64(index + 1), corrupt: corrupt && index == cases.count - 1)
      worst = max(worst, ratio)
      if !(ratio <= 1) {
        let t = "\(test.transposeA ? "T" : "N")\(test.transposeB ? "T" : "N")"
        return Result(
          passed: false, cases: index + 1, worstRatio: worst,
          failure: "sgemm \(t) m=\(test.m) n=\(test.n) k=\(test.k): error \(ratio) × the float32 bound")
      }
    }
    return Result(passed: true, cases: cases.count, worstRatio: worst, failure: nil)
  }

  /// Largest |error| / bound of one case.
  static func check(_ test: Case, seed: UInt64, corrupt: Bool) -> Double {
    // Stored shapes (row-major): A is [m, k] or, transposed, [k, m]; B is [k, n] or [n, k].
    let (aRows, aCols) = test.transposeA ? (test.k, test.m) : (test.m, test.k)
    let (bRows, bCols) = test.transposeB ? (test.n, test.k) : (test.k, test.n)
    let lda = aCols + test.padding
    let ldb = bCols + test.padding
    let ldc = test.n + test.padding
    var state = seed &* 0x9E37_79B9_7F4A_7C15
    func next() -> Float {
      // xorshift64*: uniform in [-1, 1), reproducible on every machine.
      state ^= state >> 12
      state ^= state << 25
      state ^= state >> 27
      return Float(Double((state &* 0x2545_F491_4F6C_DD1D) >> 40) / Double(1 << 23) - 1)
    }
    let a = (0..<(aRows * lda)).map { _ in next() }
    let b = (0..<(bRows * ldb)).map { _ in next() }
    let c0 = (0..<(test.m * ldc)).map { _ in next() }
    var c = c0
    cblas_sgemm(
      CblasRowMajor, test.transposeA ? CblasTrans : CblasNoTrans, test.transposeB ? CblasTrans : CblasNoTrans,
      blasint(test.m), blasint(test.n), blasint(test.k), test.alpha, a, blasint(lda), b, blasint(ldb), test.beta,
      &c, blasint(ldc))
    if corrupt { c[0] += 0.01 }

    let u = 0x1p-24
    let n = Double(test.k + 2)
    let gamma = n * u / (1 - n * u)
    var worst = 0.0
    for i in 0..<test.m {
      for j in 0..<test.n {
        var exact = 0.0
        var magnitude = 0.0
        for p in 0..<test.k {
          let x = Double(test.transposeA ? a[p * lda + i] : a[i * lda + p])
          let y = Double(test.transposeB ? b[j * ldb + p] : b[p * ldb + j])
          exact += x * y
          magnitude += abs(x * y)
        }
        let old = Double(c0[i * ldc + j])
        let reference = Double(test.alpha) * exact + Double(test.beta) * old
        let bound =
          gamma * (abs(Double(test.alpha)) * magnitude + abs(Double(test.beta) * old)) + Double.leastNormalMagnitude
        let error = abs(Double(c[i * ldc + j]) - reference)
        // NaN compares false: a NaN result makes the ratio NaN, which fails `ratio <= 1`.
        worst = error.isNaN ? .nan : max(worst, error / bound)
        if worst.isNaN { return worst }
      }
    }
    return worst
  }
}
