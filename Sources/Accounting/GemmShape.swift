import CBLAS

/// One `cblas_sgemm` call shape (row-major `C[m,n] = op(A)·op(B)`), for measuring the peak on the
/// GEMMs a run actually executes.
public struct GemmShape: Codable, Equatable, Sendable {
  public var m: Int, n: Int, k: Int
  public var transposeA = false, transposeB = false

  public var flops: Double { 2 * Double(m) * Double(n) * Double(k) }

  /// A GPT block's and LM head's GEMMs for `rows` tokens per micro-batch: QKV, the MLP up and down
  /// projections (forward, GPT-2's `[in, out]` weights), a weight gradient (Aᵀ·B over the rows), and a 4096-column slice of the
  /// LM head (its width does not change the kernel's rate, only the call's length).
  public static func model(dModel c: Int, vocabSize: Int, rows: Int) -> [GemmShape] {
    [
      GemmShape(m: rows, n: 3 * c, k: c),
      GemmShape(m: rows, n: 4 * c, k: c),
      GemmShape(m: rows, n: c, k: 4 * c),
      GemmShape(m: 4 * c, n: c, k: rows, transposeA: true),
      GemmShape(m: rows, n: min(vocabSize, 4096), k: c, transposeB: true),
    ]
  }

  /// Filled operands for timing one shape.
  final class Operands {
    let shape: GemmShape
    var a: [Float], b: [Float], c: [Float]

    init(_ shape: GemmShape) {
      self.shape = shape
      a = (0..<(shape.m * shape.k)).map { Float($0 % 7) * 0.01 }
      b = (0..<(shape.k * shape.n)).map { Float($0 % 5) * 0.01 }
      c = [Float](repeating: 0, count: shape.m * shape.n)
    }

    func run() {
      let s = shape
      cblas_sgemm(
        CblasRowMajor, s.transposeA ? CblasTrans : CblasNoTrans, s.transposeB ? CblasTrans : CblasNoTrans,
        blasint(s.m), blasint(s.n), blasint(s.k), 1, a, blasint(s.transposeA ? s.m : s.k), b,
        blasint(s.transposeB ? s.k : s.n), 0, &c, blasint(s.n))
    }
  }
}
