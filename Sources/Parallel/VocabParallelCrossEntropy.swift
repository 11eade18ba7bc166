import Kernels
import MPIBindings

/// Cross-entropy over logits whose vocabulary is split across the tensor-parallel ranks
/// (Megatron-LM's `vocab_parallel_cross_entropy`): each rank holds the logits of columns
/// `[firstColumn, firstColumn + columns)`; the row maximum, the row sum of exponentials and the
/// target logit are reduced across ranks, so no rank ever materialises the full vocabulary.
public struct VocabParallelCrossEntropy {
  public let region: TensorParallelRegion
  /// Global index of this shard's first column.
  public let firstColumn: Int
  /// Columns stored per row on this rank (padded shard width).
  public let columns: Int
  /// Columns of this shard that are real vocabulary entries (the rest is padding).
  public let validColumns: Int

  /// This rank's shard of a vocabulary of `vocab` entries padded to `paddedVocab` (a multiple of
  /// the region's size): contiguous, equal-width, in rank order; the padding is in the last shards.
  public init(region: TensorParallelRegion, vocab: Int, paddedVocab: Int) {
    self.region = region
    columns = paddedVocab / region.size
    firstColumn = region.rank * columns
    validColumns = max(0, min(columns, vocab - firstColumn))
  }

  /// Per-row losses. `statistics` must hold `3·rows` floats and is kept for `backward`.
  public func forward(
    losses: UnsafeMutablePointer<Float>, statistics: UnsafeMutablePointer<Float>,
    logits: UnsafePointer<Float>, targets: UnsafePointer<Int32>, rows: Int
  ) throws {
    let rowMax = statistics
    let sumExp = statistics + rows
    let targetLogit = statistics + 2 * rows
    crossEntropyRowMax(rowMax, logits: logits, rows: rows, columns: columns, validColumns: validColumns)
    try region.group.allreduce(rowMax, count: rows, op: .max)
    crossEntropyRowSums(
      sumExp: sumExp, targetLogit: targetLogit, logits: logits, rowMax: rowMax, targets: targets,
      firstColumn: firstColumn, rows: rows, columns: columns, validColumns: validColumns)
    // Sum-exp and target logit travel together: one allreduce of 2·rows floats.
    try region.group.allreduce(sumExp, count: 2 * rows)
    crossEntropyLosses(losses, rowMax: rowMax, sumExp: sumExp, targetLogit: targetLogit, rows: rows)
  }

  /// Overwrites `logits` with ∂loss/∂logits, where the loss is `gradScale · Σ_rows loss_row`.
  public func backward(
    logits: UnsafeMutablePointer<Float>, statistics: UnsafePointer<Float>,
    targets: UnsafePointer<Int32>, rows: Int, gradScale: Float
  ) {
    crossEntropyBackwardInPlace(
      logits: logits, rowMax: statistics, sumExp: statistics + rows, targets: targets,
      firstColumn: firstColumn, rows: rows, columns: columns, validColumns: validColumns,
      gradScale: gradScale)
  }
}
