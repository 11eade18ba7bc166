/// A dense layer in Hugging Face's `Conv1D` layout: weight `[in, out]`, so `y = x·W + b`.

/// out[N, O] = inp[N, I] · weight[I, O] + bias[O]
public func linearForward(
  out: FloatPointer, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
  bias: UnsafePointer<Float>?, rows: Int, inFeatures: Int, outFeatures: Int
) {
  if let bias {
    for r in 0..<rows {
      (out + r * outFeatures).update(from: bias, count: outFeatures)
    }
  }
  gemm(out, inp, weight, m: rows, n: outFeatures, k: inFeatures, beta: bias == nil ? 0 : 1)
}

/// Accumulates gradients of `linearForward`:
/// dinp[N, I] (+)= dout · Wᵀ, dweight[I, O] += inpᵀ · dout, dbias[O] += Σ_rows dout.
/// - Parameter accumulateInput: add into `dinp` instead of overwriting it.
public func linearBackward(
  dinp: FloatPointer?, dweight: FloatPointer, dbias: FloatPointer?,
  dout: UnsafePointer<Float>, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
  rows: Int, inFeatures: Int, outFeatures: Int, accumulateInput: Bool = false
) {
  if let dinp {
    gemm(
      dinp, dout, weight, m: rows, n: inFeatures, k: outFeatures, transposeB: true,
      beta: accumulateInput ? 1 : 0)
  }
  gemm(dweight, inp, dout, m: inFeatures, n: outFeatures, k: rows, transposeA: true, beta: 1)
  if let dbias {
    addColumnSums(into: dbias, dout, rows: rows, columns: outFeatures)
  }
}

/// into[c] += Σ_r x[r, c]
public func addColumnSums(into sums: FloatPointer, _ x: UnsafePointer<Float>, rows: Int, columns: Int) {
  for r in 0..<rows {
    let row = x + r * columns
    for c in 0..<columns {
      sums[c] += row[c]
    }
  }
  FlopCounter.addElementwise(Double(rows * columns))
}
