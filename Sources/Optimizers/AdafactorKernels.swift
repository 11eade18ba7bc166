import Kernels

/// The arithmetic of one Adafactor step on one matrix, in the order and float32 roundings of
/// Hugging Face's implementation on PyTorch's CPU kernels:
///
/// - `x.mul_(β).add_(y, alpha: a)` is `fma(y, a, x·β)` (ATen's vectorised `add` with `alpha`);
/// - `mean` is a float32 sum divided by the count (sums here run in double, then round once);
/// - `rsqrt(x)` is `1 / √x`, and `U = (r_i · c_j) · g_ij` in that order.
///
/// One deliberate exception: the per-element apply pass (`exp_avg` and the weight decay) uses a
/// separate multiply and add. The portable x86-64 build has no hardware FMA, so each `fma` is a
/// libm call and the pass took 2.2× as long (0.20 s vs 0.09 s per step for GPT-2 124M); the
/// result differs from PyTorch's fused `add_` by at most one rounding (the fixture test shows
/// ≤ 1 ulp either way). The O(rows + columns) factor updates keep the fused form.
///
/// Every pass is written so that the unscaled update `U` can be recomputed bit-identically:
/// the RMS pass and the apply pass both call `unscaledUpdate`, so no parameter-sized scratch
/// is needed. A vector (1-D segment) is one row with row factor 1, and `(1 · c_j) · g_j` is
/// exactly `c_j · g_j`, Hugging Face's `exp_avg_sq.rsqrt() * grad`.
enum AdafactorKernels {
  typealias V8 = SIMD8<Float>
  typealias D8 = SIMD8<Double>

  @inline(__always)
  static func load(_ p: UnsafePointer<Float>) -> V8 {
    UnsafeRawPointer(p).loadUnaligned(as: V8.self)
  }

  @inline(__always)
  static func store(_ v: V8, _ p: FloatPointer) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: V8.self)
  }

  /// Matrix `g [rows, columns]`: `rowSums[i] = Σ_j (g_ij² + ε₁)` and `columnSums[j] = Σ_i (…)`,
  /// in double. For a tensor-parallel shard these are partial along the split dimension until
  /// summed across the group.
  static func sumSquares(
    _ g: UnsafePointer<Float>, rows: Int, columns: Int, rowSums: UnsafeMutablePointer<Double>,
    columnSums: UnsafeMutablePointer<Double>, epsilon1: Float
  ) {
    columnSums.update(repeating: 0, count: columns)
    let eps = V8(repeating: epsilon1)
    for i in 0..<rows {
      let gRow = g + i * columns
      var lanes = D8()
      var j = 0
      while j + 8 <= columns {
        let gv = load(gRow + j)
        let squared = D8(gv * gv + eps)
        lanes += squared
        let sums = UnsafeMutableRawPointer(columnSums + j)
        sums.storeBytes(of: sums.loadUnaligned(as: D8.self) + squared, as: D8.self)
        j += 8
      }
      var rowSum = lanes.sum()
      while j < columns {
        let squared = Double(gRow[j] * gRow[j] + epsilon1)
        rowSum += squared
        columnSums[j] += squared
        j += 1
      }
      rowSums[i] = rowSum
    }
  }

  /// Updates the running averages `row [rows]` and `column [columns]` from the full sums
  /// (means over `fullColumns` and `fullRows`), writes `columnFactor[j] = 1/√column_j` and
  /// returns Σ row (double) for the row mean.
  static func updateAverages(
    row: FloatPointer, column: FloatPointer, columnFactor: FloatPointer,
    rowSums: UnsafePointer<Double>, columnSums: UnsafePointer<Double>, rows: Int, columns: Int,
    fullRows: Int, fullColumns: Int, beta2t: Float, oneMinusBeta2t: Float
  ) -> Double {
    var total = 0.0
    for i in 0..<rows {
      let mean = Float(rowSums[i]) / Float(fullColumns)
      row[i] = (row[i] * beta2t).addingProduct(mean, oneMinusBeta2t)
      total += Double(row[i])
    }
    for j in 0..<columns {
      let mean = Float(columnSums[j]) / Float(fullRows)
      column[j] = (column[j] * beta2t).addingProduct(mean, oneMinusBeta2t)
      columnFactor[j] = 1 / column[j].squareRoot()
    }
    return total
  }

  /// `rowFactor[i] = 1/√(row_i / rowMean)`.
  static func rowFactors(row: UnsafePointer<Float>, rows: Int, rowMean: Float, rowFactor: FloatPointer) {
    for i in 0..<rows { rowFactor[i] = 1 / (row[i] / rowMean).squareRoot() }
  }

  /// Vector `g [count]`: updates the full running average `v` of `g² + ε₁` and writes
  /// `factor[j] = 1/√v_j`.
  static func updateFull(
    _ g: UnsafePointer<Float>, count: Int, v: FloatPointer, factor: FloatPointer, epsilon1: Float,
    beta2t: Float, oneMinusBeta2t: Float
  ) {
    for j in 0..<count {
      v[j] = (v[j] * beta2t).addingProduct(g[j] * g[j] + epsilon1, oneMinusBeta2t)
      factor[j] = 1 / v[j].squareRoot()
    }
  }

  /// `U_ij = (rowFactor_i · columnFactor_j) · g_ij` for eight columns from `j`.
  @inline(__always)
  static func unscaledUpdate(
    _ g: UnsafePointer<Float>, _ rowFactor: Float, _ columnFactor: UnsafePointer<Float>, _ j: Int
  ) -> V8 {
    (rowFactor * load(columnFactor + j)) * load(g + j)
  }

  /// Σ U² over the matrix `g [rows, columns]` (for RMS(U)).
  static func sumOfSquares(
    _ g: UnsafePointer<Float>, rows: Int, columns: Int, rowFactor: UnsafePointer<Float>,
    columnFactor: UnsafePointer<Float>
  ) -> Double {
    var lanes = D8()
    var tail = 0.0
    for i in 0..<rows {
      let gRow = g + i * columns
      var j = 0
      while j + 8 <= columns {
        let u = D8(unscaledUpdate(gRow, rowFactor[i], columnFactor, j))
        lanes += u * u
        j += 8
      }
      while j < columns {
        let u = Double((rowFactor[i] * columnFactor[j]) * gRow[j])
        tail += u * u
        j += 1
      }
    }
    return lanes.sum() + tail
  }

  /// Scalars of the apply pass, rounded to float32 as PyTorch rounds Python floats.
  struct Scalars {
    /// max(1, RMS(U) / clip_threshold).
    var denominator: Float
    var learningRate: Float
    /// −lr·λ where the segment decays, else 0 (`p + p·0` is `p` exactly).
    var decay: Float
    var beta1: Float
    var oneMinusBeta1: Float
  }

  /// Parameters `p [rows, columns]` (and the first moment `m`, if any) take the step:
  /// `U ← lr · U / denominator`, `m ← β₁·m + (1 − β₁)·U; U ← m`, `p ← p − lr·λ·p − U`.
  static func apply(
    _ p: FloatPointer, _ g: UnsafePointer<Float>, _ m: FloatPointer?, rows: Int, columns: Int,
    rowFactor: UnsafePointer<Float>, columnFactor: UnsafePointer<Float>, _ s: Scalars
  ) {
    for i in 0..<rows {
      let offset = i * columns
      let (pRow, gRow, mRow) = (p + offset, g + offset, m.map { $0 + offset })
      let r = rowFactor[i]
      var j = 0
      while j + 8 <= columns {
        var u = (unscaledUpdate(gRow, r, columnFactor, j) / s.denominator) * s.learningRate
        if let mRow {
          u = load(mRow + j) * s.beta1 + u * s.oneMinusBeta1
          store(u, mRow + j)
        }
        let pv = load(pRow + j)
        store((pv + pv * s.decay) - u, pRow + j)
        j += 8
      }
      while j < columns {
        var u = (((r * columnFactor[j]) * gRow[j]) / s.denominator) * s.learningRate
        if let mRow {
          u = mRow[j] * s.beta1 + u * s.oneMinusBeta1
          mRow[j] = u
        }
        pRow[j] = (pRow[j] + pRow[j] * s.decay) - u
        j += 1
      }
    }
  }
}
