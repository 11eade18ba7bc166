/// Softmax cross-entropy over a (possibly vocabulary-sharded) logits matrix, in three passes so
/// that the tensor-parallel version can reduce the row statistics across ranks between them
/// (Megatron's vocab-parallel cross-entropy): row maxima, row sums of exponentials and the
/// target logit. Columns at or beyond `validColumns` are vocabulary padding and are ignored.
///
/// No second vocabulary-sized buffer: the backward overwrites the logits with their gradient.

/// rowMax[n] = max_j logits[n, j] over valid columns (−∞ if none).
public func crossEntropyRowMax(
  _ rowMax: FloatPointer, logits: UnsafePointer<Float>, rows: Int, columns: Int, validColumns: Int
) {
  for n in 0..<rows {
    let row = logits + n * columns
    var m = -Float.infinity
    // Not `max`, which skips NaN: a NaN logit must make the loss NaN so divergence is seen.
    for j in 0..<validColumns where !m.isNaN && !(row[j] <= m) { m = row[j] }
    rowMax[n] = m
  }
}

/// sumExp[n] = Σ_j exp(logits[n, j] − rowMax[n]); targetLogit[n] = logits[n, target − firstColumn]
/// if this shard owns the target, else 0.
public func crossEntropyRowSums(
  sumExp: FloatPointer, targetLogit: FloatPointer, logits: UnsafePointer<Float>,
  rowMax: UnsafePointer<Float>, targets: UnsafePointer<Int32>, firstColumn: Int,
  rows: Int, columns: Int, validColumns: Int
) {
  for n in 0..<rows {
    let row = logits + n * columns
    let shift = FastMath.Vector(repeating: rowMax[n])
    var sum = FastMath.Vector(repeating: 0)
    var j = 0
    while j + 8 <= validColumns {
      sum += FastMath.exp(UnsafeRawPointer(row + j).loadUnaligned(as: FastMath.Vector.self) - shift)
      j += 8
    }
    var total = sum.sum()
    while j < validColumns {
      total += FastMath.exp(row[j] - rowMax[n])
      j += 1
    }
    sumExp[n] = total
    let local = Int(targets[n]) - firstColumn
    targetLogit[n] = (local >= 0 && local < validColumns) ? row[local] : 0
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
  for n in 0..<rows {
    let row = logits + n * columns
    let shift = FastMath.Vector(repeating: rowMax[n])
    let factor = gradScale / sumExp[n]
    var j = 0
    while j + 8 <= validColumns {
      let x = UnsafeRawPointer(row + j).loadUnaligned(as: FastMath.Vector.self)
      UnsafeMutableRawPointer(row + j).storeBytes(of: FastMath.exp(x - shift) * factor, as: FastMath.Vector.self)
      j += 8
    }
    while j < validColumns {
      row[j] = FastMath.exp(row[j] - rowMax[n]) * factor
      j += 1
    }
    if validColumns < columns {
      (row + validColumns).update(repeating: 0, count: columns - validColumns)
    }
    let local = Int(targets[n]) - firstColumn
    if local >= 0 && local < validColumns { row[local] -= gradScale }
  }
  FlopCounter.addElementwise(Double(rows * validColumns) * 3)
}

#if canImport(Glibc)
  import Glibc
#endif
