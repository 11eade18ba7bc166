import Kernels
import SwiftletCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Adafactor (Shazeer & Stern 2018, "Adafactor: Adaptive Learning Rates with Sublinear Memory
/// Cost") exactly as Hugging Face's `transformers.optimization.Adafactor` computes it with an
/// explicit `lr` and `scale_parameter=False, relative_step=False, warmup_init=False`. For step
/// t (1-based) with gradient G and β̂₂ₜ = 1 − t^decayRate (the paper's increasing decay):
///
///     matrices [R, C]:  r ← β̂₂ₜ·r + (1 − β̂₂ₜ)·mean_columns(G² + ε₁)        exp_avg_sq_row [R]
///                       c ← β̂₂ₜ·c + (1 − β̂₂ₜ)·mean_rows(G² + ε₁)           exp_avg_sq_col [C]
///                       U = G / √(r cᵀ / mean(r))                  (factored second moment)
///     vectors:          v ← β̂₂ₜ·v + (1 − β̂₂ₜ)·(G² + ε₁);  U = G / √v       exp_avg_sq
///     U ← lr · U / max(1, RMS(U) / d)           (update clipping; RMS(x) = ‖x‖₂ / √numel)
///     m ← β₁·m + (1 − β₁)·U;  U ← m             (only when `beta1` is set)       exp_avg
///     θ ← θ − lr·λ·θ − U                        (λ only where the segment decays)
///
/// With `relative_step=False` the step size is `lr` itself (Hugging Face's `_get_lr`); the
/// paper's relative step `min(1e-2, 1/√t)` and parameter scaling (which is what `ε₂` is for)
/// are not used. Hugging Face applies `weight_decay` to every tensor of its parameter group;
/// Swiftlet applies it where `ParameterSegment.decays`, as AdamW does (two groups in HF terms).
///
/// Memory: a matrix keeps R + C floats instead of AdamW's 2·R·C; vectors keep one full moment.
/// Without `beta1` there is no parameter-sized state at all.
///
/// Under tensor parallelism a segment is a shard of the full matrix (`SegmentSplit`). The row
/// and column sums, Σr and Σ U² are then partial along the split dimension; they are summed
/// across the group with `shardSum` (three packed allreduces per step), so every rank computes
/// exactly the full matrix's factors for its rows and columns, as one rank holding it would.
public final class Adafactor: Optimizer {
  /// First-moment decay; nil keeps no first moment (Hugging Face's default).
  public let beta1: Double?
  /// Exponent c of β̂₂ₜ = 1 − t^c (−0.8 in the paper and Hugging Face).
  public let decayRate: Double
  /// ε₁, added to G² before averaging (Hugging Face's `eps[0]`, 1e-30).
  public let epsilon1: Double
  /// d of the update clipping (1.0).
  public let clipThreshold: Double
  /// λ of the decoupled weight decay `θ ← θ − lr·λ·θ`.
  public let weightDecay: Double
  public var step = 0
  public let segments: [ParameterSegment]
  /// `exp_avg`, laid out like the parameters; nil without `beta1`.
  public let firstMoment: FloatArena?
  /// `exp_avg_sq_row` of every factored segment, packed (see `stateTensors` for the views).
  public let rowFactors: FloatArena
  /// `exp_avg_sq_col` of every factored segment, packed.
  public let columnFactors: FloatArena
  /// `exp_avg_sq` of every vector segment, packed.
  public let secondMoment: FloatArena

  private let layout: AdafactorLayout
  /// Sums partial values across the tensor-parallel group; nil when no segment is split.
  private let shardSum: ShardSum?
  // Scratch, packed like the state: double row and column sums of G² + ε₁, the factors
  // 1/√(r/mean r) and 1/√c, and 1/√v of the vectors.
  private let rowSums: UnsafeMutablePointer<Double>
  private let columnSums: UnsafeMutablePointer<Double>
  private let rowScratch: FloatArena
  private let columnScratch: FloatArena
  private let vectorScratch: FloatArena
  /// Per placement: Σr, then Σ U² (double), summed across the group where partial.
  private let totals: UnsafeMutablePointer<Double>
  private var packed: [Double] = []

  /// Creates the optimizer with zeroed state for `segments` of a parameter arena of
  /// `arenaCount` floats. Defaults are Hugging Face's, except that `weightDecay` is usually
  /// set by the caller. Segments that are tensor-parallel shards need `shardSum`.
  ///
  /// - Throws: `SwiftletError` when a hyperparameter is out of its range.
  public init(
    segments: [ParameterSegment], arenaCount: Int, beta1: Double? = nil, decayRate: Double = -0.8,
    epsilon1: Double = 1e-30, clipThreshold: Double = 1.0, weightDecay: Double = 0,
    shardSum: ShardSum? = nil
  ) throws {
    if let beta1, !(0..<1).contains(beta1) {
      throw SwiftletError(
        "adafactor beta1 must be in [0, 1) (or unset for no first moment), got \(beta1)")
    }
    guard decayRate <= 0 else {
      throw SwiftletError(
        "adafactor decay_rate must be <= 0 (beta2 = 1 - t^decay_rate), got \(decayRate)")
    }
    guard epsilon1 > 0 else {
      throw SwiftletError(
        "adafactor eps1 must be > 0 (it keeps 1/sqrt of the second moment finite), got \(epsilon1)")
    }
    guard clipThreshold > 0 else {
      throw SwiftletError("adafactor clip_threshold must be > 0, got \(clipThreshold)")
    }
    guard weightDecay >= 0 else {
      throw SwiftletError("weight_decay must be >= 0, got \(weightDecay)")
    }
    self.segments = segments
    self.beta1 = beta1
    self.decayRate = decayRate
    self.epsilon1 = epsilon1
    self.clipThreshold = clipThreshold
    self.weightDecay = weightDecay
    layout = AdafactorLayout(segments: segments)
    precondition(
      shardSum != nil || !layout.hasSplitSegments, "tensor-parallel segments need a shardSum")
    self.shardSum = shardSum
    firstMoment = beta1 == nil ? nil : FloatArena(count: arenaCount)
    rowFactors = FloatArena(count: layout.rowCount)
    columnFactors = FloatArena(count: layout.columnCount)
    secondMoment = FloatArena(count: layout.fullCount)
    rowSums = .allocate(capacity: max(1, layout.rowCount))
    columnSums = .allocate(capacity: max(1, layout.columnCount))
    rowScratch = FloatArena(count: max(1, layout.rowCount))
    columnScratch = FloatArena(count: max(1, layout.columnCount))
    vectorScratch = FloatArena(count: max(1, layout.fullCount))
    totals = .allocate(capacity: max(1, layout.placements.count))
  }

  deinit {
    rowSums.deallocate()
    columnSums.deallocate()
    totals.deallocate()
  }

  /// The state arenas that hold at least one tensor: `exp_avg` (with `beta1`; laid out like the
  /// parameters), then the packed `exp_avg_sq_row`, `exp_avg_sq_col` and `exp_avg_sq`, which
  /// are NOT laid out like the parameters: address them through `stateTensors`.
  public var stateArenas: [(kind: String, arena: FloatArena)] {
    var arenas: [(kind: String, arena: FloatArena)] = []
    if let firstMoment { arenas.append(("exp_avg", firstMoment)) }
    if layout.rowCount > 0 { arenas.append(("exp_avg_sq_row", rowFactors)) }
    if layout.columnCount > 0 { arenas.append(("exp_avg_sq_col", columnFactors)) }
    if layout.fullCount > 0 { arenas.append(("exp_avg_sq", secondMoment)) }
    return arenas
  }

  /// Per segment, in segment order, the tensors `stateShapes` names for its shape: `exp_avg`
  /// (with `beta1`, the segment's shape), then either `exp_avg_sq_row` (`shape` without its last
  /// dimension) and `exp_avg_sq_col` (`shape` without its second-to-last) for rank ≥ 2, or
  /// `exp_avg_sq` (the segment's shape) — the names and shapes of Hugging Face's `optimizer.state[p]`.
  public var stateTensors: [OptimizerStateTensor] {
    layout.placements.flatMap { p in
      stateShapes(ofParameterShape: p.segment.shape).map { state in
        let pointer: FloatPointer
        switch (state.kind, state.extent) {
        case ("exp_avg", _): pointer = firstMoment!.base + p.segment.offset
        case (_, .rowReduction): pointer = rowFactors.base + p.rowOffset
        case (_, .columnReduction): pointer = columnFactors.base + p.columnOffset
        case (_, .parameter): pointer = secondMoment.base + p.fullOffset
        }
        return OptimizerStateTensor(
          kind: state.kind, segmentName: p.segment.name, shape: state.shape, pointer: pointer, extent: state.extent)
      }
    }
  }

  public func stateShapes(ofParameterShape shape: [Int]) -> [(
    kind: String, shape: [Int], extent: OptimizerStateTensor.Extent
  )] {
    var shapes: [(kind: String, shape: [Int], extent: OptimizerStateTensor.Extent)] = []
    if beta1 != nil { shapes.append(("exp_avg", shape, .parameter)) }
    if shape.count >= 2 {
      shapes.append(("exp_avg_sq_row", Array(shape.dropLast()), .rowReduction))
      shapes.append(("exp_avg_sq_col", shape.dropLast(2) + [shape.last!], .columnReduction))
    } else {
      shapes.append(("exp_avg_sq", shape, .parameter))
    }
    return shapes
  }

  public func update(
    parameters: FloatPointer, gradients: UnsafePointer<Float>, learningRate: Double
  ) throws {
    step += 1
    // Scalars in double as Python computes them, then rounded to float32 once, as PyTorch
    // does with Python floats.
    let decay2 = 1 - pow(Double(step), decayRate)
    let (beta2t, oneMinusBeta2t) = (Float(decay2), Float(1 - decay2))
    let epsilon1 = Float(self.epsilon1)
    let placements = layout.placements

    // 1. Row and column sums of G² + ε₁ of every matrix (partial along a split dimension).
    for p in placements where p.factored {
      for b in 0..<p.batch {
        AdafactorKernels.sumSquares(
          gradients + p.segment.offset + b * p.rows * p.columns, rows: p.rows, columns: p.columns,
          rowSums: rowSums + p.rowOffset + b * p.rows, columnSums: columnSums + p.columnOffset + b * p.columns,
          epsilon1: epsilon1)
      }
    }
    try sumAcrossShards { _, p in
      switch p.segment.split {
      case .whole: return []
      case .rows: return [(columnSums + p.columnOffset, p.columns)]
      case .columns: return p.factored ? [(rowSums + p.rowOffset, p.rows)] : []
      }
    }

    // 2. Running averages, column factors and Σr; vectors' full second moments and 1/√v.
    for (k, p) in placements.enumerated() {
      if p.factored {
        totals[k] = 0
        for b in 0..<p.batch {
          let total = AdafactorKernels.updateAverages(
            row: rowFactors.base + p.rowOffset + b * p.rows,
            column: columnFactors.base + p.columnOffset + b * p.columns,
            columnFactor: columnScratch.base + p.columnOffset + b * p.columns,
            rowSums: rowSums + p.rowOffset + b * p.rows, columnSums: columnSums + p.columnOffset + b * p.columns,
            rows: p.rows, columns: p.columns, fullRows: p.fullRows, fullColumns: p.fullColumns,
            beta2t: beta2t, oneMinusBeta2t: oneMinusBeta2t)
          if p.batch == 1 {
            totals[k] = total
          } else {
            AdafactorKernels.rowFactors(
              row: rowFactors.base + p.rowOffset + b * p.rows, rows: p.rows,
              rowMean: Float(total) / Float(p.rows), rowFactor: rowScratch.base + p.rowOffset + b * p.rows)
          }
        }
      } else {
        AdafactorKernels.updateFull(
          gradients + p.segment.offset, count: p.columns, v: secondMoment.base + p.fullOffset,
          factor: vectorScratch.base + p.fullOffset, epsilon1: epsilon1, beta2t: beta2t,
          oneMinusBeta2t: oneMinusBeta2t)
      }
    }
    try sumAcrossShards { k, p in
      if case .rows = p.segment.split { return [(totals + k, 1)] }  // Σr over all rows
      return []
    }

    // 3. Row factors 1/√(r / mean r), then Σ U² for the update clipping.
    for (k, p) in placements.enumerated() {
      if p.factored && p.batch == 1 {
        AdafactorKernels.rowFactors(
          row: rowFactors.base + p.rowOffset, rows: p.rows, rowMean: Float(totals[k]) / Float(p.fullRows),
          rowFactor: rowScratch.base + p.rowOffset)
      }
      var sumOfSquares = 0.0
      for b in 0..<p.batch {
        let (rowFactor, columnFactor) = factors(p, b)
        sumOfSquares += AdafactorKernels.sumOfSquares(
          gradients + p.segment.offset + b * p.rows * p.columns, rows: p.rows, columns: p.columns,
          rowFactor: rowFactor, columnFactor: columnFactor)
      }
      totals[k] = sumOfSquares
    }
    try sumAcrossShards { k, p in p.segment.split == .whole ? [] : [(totals + k, 1)] }

    // 4. Apply: U / max(1, RMS(U) / d), the first moment, the weight decay.
    let decay = Float(-weightDecay * learningRate)
    var scalars = AdafactorKernels.Scalars(
      denominator: 1, learningRate: Float(learningRate), decay: 0, beta1: Float(beta1 ?? 0),
      oneMinusBeta1: Float(1 - (beta1 ?? 0)))
    for (k, p) in placements.enumerated() where p.segment.count > 0 {
      let fullCount = Double(p.batch * p.fullRows * p.fullColumns)
      let rms = Float(totals[k].squareRoot()) / Float(fullCount.squareRoot())
      scalars.denominator = max(rms / Float(clipThreshold), 1)
      scalars.decay = p.segment.decays ? decay : 0
      for b in 0..<p.batch {
        let offset = p.segment.offset + b * p.rows * p.columns
        let (rowFactor, columnFactor) = factors(p, b)
        AdafactorKernels.apply(
          parameters + offset, gradients + offset, firstMoment.map { $0.base + offset }, rows: p.rows,
          columns: p.columns, rowFactor: rowFactor, columnFactor: columnFactor, scalars)
      }
    }
    // About 14 operations per element: G² + ε₁ and two sums, three for U and U², six to apply.
    FlopCounter.addElementwise(14 * Double(segments.reduce(0) { $0 + $1.count }))
  }

  /// The row and column factors of matrix `b` of placement `p` (a vector's row factor is 1).
  private func factors(_ p: AdafactorLayout.Placement, _ b: Int) -> (UnsafePointer<Float>, UnsafePointer<Float>) {
    if p.factored {
      return (
        UnsafePointer(rowScratch.base + p.rowOffset + b * p.rows),
        UnsafePointer(columnScratch.base + p.columnOffset + b * p.columns)
      )
    }
    return (Self.one, UnsafePointer(vectorScratch.base + p.fullOffset))
  }

  private static let one: UnsafePointer<Float> = {
    let p = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    p.initialize(to: 1)
    return UnsafePointer(p)
  }()

  /// Packs the ranges `partial` names for every placement into one buffer, sums it across the
  /// tensor-parallel group and unpacks it: one allreduce per phase instead of one per tensor.
  private func sumAcrossShards(
    _ partial: (Int, AdafactorLayout.Placement) -> [(UnsafeMutablePointer<Double>, Int)]
  ) throws {
    guard let shardSum else { return }
    let ranges = layout.placements.enumerated().flatMap { partial($0.offset, $0.element) }
    let total = ranges.reduce(0) { $0 + $1.1 }
    guard total > 0 else { return }
    packed.removeAll(keepingCapacity: true)
    for (pointer, count) in ranges { packed.append(contentsOf: UnsafeBufferPointer(start: pointer, count: count)) }
    try packed.withUnsafeMutableBufferPointer { try shardSum($0.baseAddress!, total) }
    var position = 0
    for (pointer, count) in ranges {
      packed.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress! + position, count: count) }
      position += count
    }
  }
}
