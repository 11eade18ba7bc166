/// Where each segment's Adafactor state lives in the optimizer's small state arenas.
///
/// A segment of rank ≥ 2 is factored (Shazeer & Stern 2018, factored second moments): its
/// shape is read as `batch` leading dimensions folded together, then a row-major
/// `[rows, columns]` matrix, and it keeps `batch × rows` row factors and `batch × columns`
/// column factors (Hugging Face's `exp_avg_sq_row` of shape `shape[:-1]` and `exp_avg_sq_col`
/// of shape `shape[:-2] + shape[-1:]`). Rank 0 and 1 segments keep a full second moment
/// `exp_avg_sq`. Each piece starts on a 16-float boundary, as parameters do, so the SIMD loops
/// see aligned rows.
///
/// A tensor-parallel shard (`SegmentSplit`) is factored as a slice of the full matrix: `rows`
/// and `columns` are the local extents the update touches (padding rows excluded), `fullRows`
/// and `fullColumns` the full tensor's, which the means divide by.
struct AdafactorLayout {
  struct Placement {
    let segment: ParameterSegment
    let factored: Bool
    let batch: Int
    let rows: Int
    let columns: Int
    let fullRows: Int
    let fullColumns: Int
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

  /// Whether a segment's update depends on values held by other tensor-parallel ranks.
  var hasSplitSegments: Bool { placements.contains { $0.segment.split != .whole } }

  init(segments: [ParameterSegment]) {
    var placements: [Placement] = []
    var rowCount = 0
    var columnCount = 0
    var fullCount = 0
    func aligned(_ n: Int) -> Int { (n + 15) / 16 * 16 }
    for segment in segments {
      precondition(
        segment.shape.reduce(1, *) == segment.count,
        "segment \(segment.name): shape \(segment.shape) does not hold \(segment.count) elements")
      if segment.shape.count >= 2 {
        let columns = segment.shape[segment.shape.count - 1]
        var rows = segment.shape[segment.shape.count - 2]
        let batch = segment.shape.dropLast(2).reduce(1, *)
        var (fullRows, fullColumns) = (rows, columns)
        switch segment.split {
        case .whole: break
        case .rows(let validRows, let full): (rows, fullRows) = (validRows, full)
        case .columns(let full): fullColumns = full
        }
        precondition(
          batch == 1 || segment.split == .whole,
          "segment \(segment.name): only 2-D tensors can be tensor-parallel shards")
        placements.append(
          Placement(
            segment: segment, factored: true, batch: batch, rows: rows, columns: columns,
            fullRows: fullRows, fullColumns: fullColumns,
            rowOffset: rowCount, columnOffset: columnCount, fullOffset: 0))
        // State keeps every local row (padding rows too), as the segment's shape says.
        rowCount += aligned(batch * segment.shape[segment.shape.count - 2])
        columnCount += aligned(batch * columns)
      } else {
        // A vector is one row of `count` columns whose row factor is 1 (see AdafactorKernels).
        var fullColumns = segment.count
        switch segment.split {
        case .whole: break
        case .columns(let full): fullColumns = full
        case .rows: preconditionFailure("segment \(segment.name): a vector cannot be split by rows")
        }
        placements.append(
          Placement(
            segment: segment, factored: false, batch: 1, rows: 1, columns: segment.count,
            fullRows: 1, fullColumns: fullColumns,
            rowOffset: 0, columnOffset: 0, fullOffset: fullCount))
        fullCount += aligned(segment.count)
      }
    }
    self.placements = placements
    self.rowCount = rowCount
    self.columnCount = columnCount
    self.fullCount = fullCount
  }
}
