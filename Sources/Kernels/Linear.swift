import CKernels

/// Dense layers `y = x·W + b` in either of the two weight layouts Hugging Face checkpoints use.

/// How a dense layer's weight matrix is stored.
public enum WeightLayout: Sendable {
  /// `[in, out]`: GPT-2's `Conv1D` (`y = x·W + b`).
  case inputMajor
  /// `[out, in]`: PyTorch's `nn.Linear`, as in OPT (`y = x·Wᵀ + b`).
  case outputMajor
}

/// out[N, O] = inp[N, I] · W + bias[O], with W `[I, O]` or, for `.outputMajor`, `[O, I]` used transposed.
public func linearForward(
  out: FloatPointer, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
  bias: UnsafePointer<Float>?, rows: Int, inFeatures: Int, outFeatures: Int,
  layout: WeightLayout = .inputMajor
) {
  if let bias {
    for r in 0..<rows {
      (out + r * outFeatures).update(from: bias, count: outFeatures)
    }
  }
  gemm(
    out, inp, weight, m: rows, n: outFeatures, k: inFeatures, transposeB: layout == .outputMajor,
    beta: bias == nil ? 0 : 1)
}

/// Gradients of `linearForward`, accumulated into the weight and bias gradients:
/// dinp[N, I] = dout · Wᵀ (overwritten), dweight += inpᵀ · dout (`[I, O]`; `doutᵀ · inp` for `[O, I]`),
/// dbias[O] += Σ_rows dout.
public func linearBackward(
  dinp: FloatPointer?, dweight: FloatPointer, dbias: FloatPointer?,
  dout: UnsafePointer<Float>, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
  rows: Int, inFeatures: Int, outFeatures: Int, layout: WeightLayout = .inputMajor
) {
  switch layout {
  case .inputMajor:
    if let dinp {
      gemm(dinp, dout, weight, m: rows, n: inFeatures, k: outFeatures, transposeB: true)
    }
    gemm(dweight, inp, dout, m: inFeatures, n: outFeatures, k: rows, transposeA: true, beta: 1)
  case .outputMajor:
    if let dinp {
      gemm(dinp, dout, weight, m: rows, n: inFeatures, k: outFeatures)
    }
    gemm(dweight, dout, inp, m: outFeatures, n: inFeatures, k: rows, transposeA: true, beta: 1)
  }
  if let dbias {
    addColumnSums(into: dbias, dout, rows: rows, columns: outFeatures)
  }
}

/// into[c] += Σ_r x[r, c]
public func addColumnSums(into sums: FloatPointer, _ x: UnsafePointer<Float>, rows: Int, columns: Int) {
  swiftlet_add_column_sums(sums, x, rows, columns)  // rows in order: the same sums as a plain loop
  FlopCounter.addElementwise(Double(rows * columns))
}
