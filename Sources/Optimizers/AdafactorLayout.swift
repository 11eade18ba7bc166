/// Where each segment's Adafactor state lives in the optimizer's small state arenas.
///
/// A segment of rank ≥ 2 is factored (Shazeer & Stern 2018, factored second moments): its
/// shape is read as `batch` leading dimensions folded together, then a row-major
/// `[rows, columns]` matrix, and it keeps `batch × rows` row factors and `batch × columns`
/// column factors (Hugging Face's `exp_avg_sq_row` of shape `shape[:-1]` and `exp_avg_sq_col`
/// of shape `shape[:-2] + shape[-1:]`). Rank 0 and 1 segments keep a full second moment
/// `exp_avg_sq`. Each piece starts on a 16-float boundary, as parameters do, so the SIMD loops
/// see aligned rows.
struct AdafactorLayout {
  struct Placement {
    let segment: ParameterSegment
    let factored: Bool
    let batch: Int
    let rows: Int
    let columns: Int
    /// Offsets into the row, column and full second-moment arenas (0 where unused).
    let rowOffset: Int
    let columnOffset: Int
    let fullOffset: Int
  }

  let placements: [Placement]
  /// Floats in each packed arena (including alignment gaps).
  let rowCount: Int
  let columnCount: Int
  let fullCount: Int
  /// The longest factor or vector any one segment needs, to size the scratch buffers.
  let maxRowFactors: Int
  let maxColumnFactors: Int

  init(segments: [ParameterSegment]) {
    var placements: [Placement] = []
    var rowCount = 0
    var columnCount = 0
    var fullCount = 0
    var maxRows = 1
    var maxColumns = 1
    func aligned(_ n: Int) -> Int { (n + 15) / 16 * 16 }
    for segment in segments {
      precondition(
        segment.shape.reduce(1, *) == segment.count,
        "segment \(segment.name): shape \(segment.shape) does not hold \(segment.count) elements")
      if segment.shape.count >= 2 {
        let columns = segment.shape[segment.shape.count - 1]
        let rows = segment.shape[segment.shape.count - 2]
        let batch = segment.shape.dropLast(2).reduce(1, *)
        placements.append(
          Placement(
            segment: segment, factored: true, batch: batch, rows: rows, columns: columns,
            rowOffset: rowCount, columnOffset: columnCount, fullOffset: 0))
        rowCount += aligned(batch * rows)
        columnCount += aligned(batch * columns)
        maxRows = max(maxRows, batch * rows)
        maxColumns = max(maxColumns, batch * columns)
      } else {
        // A vector is one row of `count` columns whose row factor is 1 (see AdafactorKernels).
        placements.append(
          Placement(
            segment: segment, factored: false, batch: 1, rows: 1, columns: segment.count,
            rowOffset: 0, columnOffset: 0, fullOffset: fullCount))
        fullCount += aligned(segment.count)
        maxColumns = max(maxColumns, segment.count)
      }
    }
    self.placements = placements
    self.rowCount = rowCount
    self.columnCount = columnCount
    self.fullCount = fullCount
    maxRowFactors = maxRows
    maxColumnFactors = maxColumns
  }
}
