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
  swiftlet_ce_row_max(rowMax, logits, rows, columns, validColumns)
}

/// sumExp[n] = Σ_j exp(logits[n, j] − rowMax[n]); targetLogit[n] = logits[n, target − firstColumn]
/// if this shard owns the target, else 0.
public func crossEntropyRowSums(
  sumExp: FloatPointer, targetLogit: FloatPointer, logits: UnsafePointer<Float>,
  rowMax: UnsafePointer<Float>, targets: UnsafePointer<Int32>, firstColumn: Int,
  rows: Int, columns: Int, validColumns: Int
) {
  swiftlet_ce_row_sums(sumExp, targetLogit, logits, rowMax, targets, firstColumn, rows, columns, validColumns)
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
  crossEntropyBackwardInPlace(
    logits: logits, rowMax: rowMax, sumExp: sumExp, targets: targets, firstColumn: firstColumn,
    rows: rows, columns: columns, columnRange: 0..<columns, validColumns: validColumns, gradScale: gradScale)
}

/// The same on the columns `columnRange` of each row only (rows `columns` apart): the chunk the
/// fused LM head backward turns into a gradient while it is still in cache.
public func crossEntropyBackwardInPlace(
  logits: FloatPointer, rowMax: UnsafePointer<Float>, sumExp: UnsafePointer<Float>,
  targets: UnsafePointer<Int32>, firstColumn: Int, rows: Int, columns: Int, columnRange: Range<Int>,
  validColumns: Int, gradScale: Float
) {
  swiftlet_ce_backward(
    logits, rowMax, sumExp, targets, firstColumn, rows, columns, columnRange.lowerBound,
    columnRange.upperBound, validColumns, gradScale)
  let real = max(0, min(columnRange.upperBound, validColumns) - columnRange.lowerBound)
  FlopCounter.addElementwise(Double(rows * real) * 3)
}

#if canImport(Glibc)
  import Glibc
#endif
