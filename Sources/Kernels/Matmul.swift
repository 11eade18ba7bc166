import CBLAS

/// `C[M,N] = alpha · op(A) · op(B) + beta · C` in row-major float32 through OpenBLAS.
///
/// - Parameters:
///   - transposeA: use Aᵀ, where A is stored `[K, M]` with leading dimension `lda`.
///   - transposeB: use Bᵀ, where B is stored `[N, K]` with leading dimension `ldb`.
///   - lda, ldb, ldc: row strides; default to the dense widths.
@inline(__always)
public func gemm(
  _ c: FloatPointer, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
  m: Int, n: Int, k: Int,
  transposeA: Bool = false, transposeB: Bool = false,
  alpha: Float = 1, beta: Float = 0,
  lda: Int? = nil, ldb: Int? = nil, ldc: Int? = nil
) {
  FlopCounter.addMatmul(
    uncountedGemm(
      c, a, b, m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB, alpha: alpha, beta: beta,
      lda: lda, ldb: ldb, ldc: ldc))
}

/// `gemm` without touching `FlopCounter` (safe to call from several threads); returns the FLOPs.
@inline(__always)
func uncountedGemm(
  _ c: FloatPointer, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
  m: Int, n: Int, k: Int,
  transposeA: Bool = false, transposeB: Bool = false,
  alpha: Float = 1, beta: Float = 0,
  lda: Int? = nil, ldb: Int? = nil, ldc: Int? = nil
) -> Double {
  guard m > 0, n > 0, k > 0 else { return 0 }
  let leadingA = lda ?? (transposeA ? m : k)
  let leadingB = ldb ?? (transposeB ? k : n)
  cblas_sgemm(
    CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
    blasint(m), blasint(n), blasint(k), alpha, a, blasint(leadingA), b, blasint(leadingB), beta, c,
    blasint(ldc ?? n))
  return 2 * Double(m) * Double(n) * Double(k)
}

/// Sets the number of OpenBLAS threads for this process, and the Swift kernels' (`KernelThreads`).
public func setBLASThreads(_ count: Int) {
  openblas_set_num_threads(Int32(count))
  KernelThreads.count = max(1, count)
}

/// The number of threads OpenBLAS uses.
public var blasThreads: Int { Int(openblas_get_num_threads()) }
