import CKernels

/// Softmax cross-entropy over a (possibly vocabulary-sharded) logits matrix, in three passes so
/// that the tensor-parallel version can reduce the row statistics across ranks between them
/// (Megatron's vocab-parallel cross-entropy): row maxima, row sums of exponentials and the
/// target logit. Columns at or beyond `validColumns` are vocabulary padding and are ignored.
///
/// No second vocabulary-sized buffer: the backward overwrites the logits with their gradient.

/// rowMax[n] = max_j logits[n, j] over valid columns (−∞ if none; NaN if a row has a NaN, so
/// that divergence shows in the loss).
public func crossEntropyRowMax(
  _ rowMax: FloatPointer, logits: UnsafePointer<Float>, rows: Int, columns: Int, validColumns: Int
) {
  KernelThreads.forEachRange(rows, minimum: 2) { r in
    swiftlet_ce_row_max(rowMax + r.lowerBound, logits + r.lowerBound * columns, r.count, columns, validColumns)
  }
}

/// sumExp[n] = Σ_j exp(logits[n, j] − rowMax[n]); targetLogit[n] = logits[n, target − firstColumn]
/// if this shard owns the target, else 0.
public func crossEntropyRowSums(
  sumExp: FloatPointer, targetLogit: FloatPointer, logits: UnsafePointer<Float>,
  rowMax: UnsafePointer<Float>, targets: UnsafePointer<Int32>, firstColumn: Int,
  rows: Int, columns: Int, validColumns: Int
) {
  KernelThreads.forEachRange(rows, minimum: 2) { r in
    let i = r.lowerBound
    swiftlet_ce_row_sums(
      sumExp + i, targetLogit + i, logits + i * columns, rowMax + i, targets + i, firstColumn, r.count, columns,
      validColumns)
  }
  FlopCounter.addElementwise(Double(rows * validColumns) * 3)
}

/// losses[n] = log(sumExp[n]) + rowMax[n] − targetLogit[n]
public func crossEntropyLosses(
  _ losses: FloatPointer, rowMax: UnsafePointer<Float>, sumExp: UnsafePointer<Float>,
  targetLogit: UnsafePointer<Float>, rows: Int
) {
  for n in 0..<rows {
    losses[n] = log(sumExp[n]) + rowMax[n] - targetLogit[n]
  }
}

/// In place: logits[n, j] ← (softmax[n, j] − 1[j = target]) · gradScale; padding columns ← 0.
public func crossEntropyBackwardInPlace(
  logits: FloatPointer, rowMax: UnsafePointer<Float>, sumExp: UnsafePointer<Float>,
  targets: UnsafePointer<Int32>, firstColumn: Int, rows: Int, columns: Int, validColumns: Int,
  gradScale: Float
) {
  KernelThreads.forEachRange(rows, minimum: 2) { r in
    let i = r.lowerBound
    swiftlet_ce_backward(
      logits + i * columns, rowMax + i, sumExp + i, targets + i, firstColumn, r.count, columns, 0, columns,
      validColumns, gradScale)
  }
  FlopCounter.addElementwise(Double(rows * validColumns) * 3)
}

#if canImport(Glibc)
  import Glibc
#endif
