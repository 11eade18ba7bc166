/// Small element-wise helpers shared by the layers.

/// x[i] += y[i]
@inline(__always)
public func addInPlace(_ x: FloatPointer, _ y: UnsafePointer<Float>, count: Int) {
  for i in 0..<count { x[i] += y[i] }
}

/// out[i] = a[i] + b[i]  (the residual connection)
public func residualForward(out: FloatPointer, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) {
  for i in 0..<count { out[i] = a[i] + b[i] }
  FlopCounter.addElementwise(Double(count))
}

/// rows[r, :] += vector[:] for every row (a bias added after a reduction).
public func addRowVector(_ rows: FloatPointer, _ vector: UnsafePointer<Float>, rowCount: Int, width: Int) {
  for r in 0..<rowCount {
    addInPlace(rows + r * width, vector, count: width)
  }
  FlopCounter.addElementwise(Double(rowCount * width))
}

/// x[i] *= factor
public func scaleInPlace(_ x: FloatPointer, by factor: Float, count: Int) {
  for i in 0..<count { x[i] *= factor }
}

/// Σ x[i]², accumulated in double so the global gradient norm does not depend on chunking.
public func sumOfSquares(_ x: UnsafePointer<Float>, count: Int) -> Double {
  var total: Double = 0
  var partial = SIMD8<Float>(repeating: 0)
  var i = 0
  // Blocks of 1024 in float, summed in double: fast and accurate to ~1e-7 relative.
  while i + 8 <= count {
    let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
    partial += v * v
    i += 8
    if i % 1024 == 0 {
      total += Double(partial.sum())
      partial = SIMD8<Float>(repeating: 0)
    }
  }
  total += Double(partial.sum())
  while i < count {
    total += Double(x[i]) * Double(x[i])
    i += 1
  }
  return total
}
