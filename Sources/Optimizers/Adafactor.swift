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
/// Under tensor parallelism each rank factors its own shard (local shapes): that differs from
/// factoring the full matrix, because the row and column means, `mean(r)` and RMS(U) are then
/// taken over the shard.
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
  // Per-segment scratch: the factors 1/√(r/mean r) and 1/√c, and double column sums.
  private let rowScratch: FloatArena
  private let columnScratch: FloatArena
  private let columnSums: UnsafeMutablePointer<Double>

  /// Creates the optimizer with zeroed state for `segments` of a parameter arena of
  /// `arenaCount` floats. Defaults are Hugging Face's, except that `weightDecay` is usually
  /// set by the caller.
  ///
  /// - Throws: `SwiftletError` when a hyperparameter is out of its range.
  public init(
    segments: [ParameterSegment], arenaCount: Int, beta1: Double? = nil, decayRate: Double = -0.8,
    epsilon1: Double = 1e-30, clipThreshold: Double = 1.0, weightDecay: Double = 0
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
    firstMoment = beta1 == nil ? nil : FloatArena(count: arenaCount)
    rowFactors = FloatArena(count: layout.rowCount)
    columnFactors = FloatArena(count: layout.columnCount)
    secondMoment = FloatArena(count: layout.fullCount)
    rowScratch = FloatArena(count: layout.maxRowFactors)
    columnScratch = FloatArena(count: layout.maxColumnFactors)
    columnSums = .allocate(capacity: layout.maxColumnFactors)
  }

  deinit {
    columnSums.deallocate()
  }

  /// Floats of state Adafactor keeps for `segments` (before allocating it): packed factors and
  /// vector moments, plus `arenaCount` for `exp_avg` when `firstMoment` is true.
  public static func stateCount(segments: [ParameterSegment], arenaCount: Int, firstMoment: Bool)
    -> Int
  {
    let layout = AdafactorLayout(segments: segments)
    return layout.rowCount + layout.columnCount + layout.fullCount + (firstMoment ? arenaCount : 0)
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

  /// Per segment, in segment order: `exp_avg` (with `beta1`, the segment's shape), then either
  /// `exp_avg_sq_row` (`shape` without its last dimension) and `exp_avg_sq_col` (`shape` without
  /// its second-to-last) for rank ≥ 2, or `exp_avg_sq` (the segment's shape) — the names and
  /// shapes of Hugging Face's `optimizer.state[p]`.
  public var stateTensors: [OptimizerStateTensor] {
    var tensors: [OptimizerStateTensor] = []
    for placement in layout.placements {
      let segment = placement.segment
      func add(_ kind: String, _ shape: [Int], _ pointer: FloatPointer) {
        tensors.append(
          OptimizerStateTensor(
            kind: kind, segmentName: segment.name, shape: shape, pointer: pointer))
      }
      if let firstMoment { add("exp_avg", segment.shape, firstMoment.base + segment.offset) }
      if placement.factored {
        let shape = segment.shape
        add("exp_avg_sq_row", Array(shape.dropLast()), rowFactors.base + placement.rowOffset)
        add(
          "exp_avg_sq_col", shape.dropLast(2) + [shape.last!],
          columnFactors.base + placement.columnOffset)
      } else {
        add("exp_avg_sq", segment.shape, secondMoment.base + placement.fullOffset)
      }
    }
    return tensors
  }

  public func stateShapes(ofParameterShape shape: [Int]) -> [(kind: String, shape: [Int])] {
    var shapes: [(kind: String, shape: [Int])] = []
    if beta1 != nil { shapes.append(("exp_avg", shape)) }
    if shape.count >= 2 {
      shapes.append(("exp_avg_sq_row", Array(shape.dropLast())))
      shapes.append(("exp_avg_sq_col", shape.dropLast(2) + [shape.last!]))
    } else {
      shapes.append(("exp_avg_sq", shape))
    }
    return shapes
  }

  public func update(
    parameters: FloatPointer, gradients: UnsafePointer<Float>, learningRate: Double
  ) {
    step += 1
    // Scalars in double as Python computes them, then rounded to float32 once, as PyTorch
    // does with Python floats.
    let beta2t = 1 - pow(Double(step), decayRate)
    let epsilon1 = Float(self.epsilon1)
    let decay = Float(-weightDecay * learningRate)
    var scalars = AdafactorKernels.Scalars(
      denominator: 1, learningRate: Float(learningRate), decay: 0, beta1: Float(beta1 ?? 0),
      oneMinusBeta1: Float(1 - (beta1 ?? 0)))
    for placement in layout.placements where placement.segment.count > 0 {
      let segment = placement.segment
      let g = gradients + segment.offset
      let (rows, columns) = (placement.rows, placement.columns)
      let matrix = rows * columns
      if placement.factored {
        for b in 0..<placement.batch {
          AdafactorKernels.updateFactors(
            g + b * matrix, rows: rows, columns: columns,
            row: rowFactors.base + placement.rowOffset + b * rows,
            column: columnFactors.base + placement.columnOffset + b * columns,
            rowFactor: rowScratch.base + b * rows, columnFactor: columnScratch.base + b * columns,
            columnSums: columnSums, epsilon1: epsilon1, beta2t: Float(beta2t),
            oneMinusBeta2t: Float(1 - beta2t))
        }
      } else {
        rowScratch.base[0] = 1
        AdafactorKernels.updateFull(
          g, count: columns, v: secondMoment.base + placement.fullOffset,
          factor: columnScratch.base,
          epsilon1: epsilon1, beta2t: Float(beta2t), oneMinusBeta2t: Float(1 - beta2t))
      }
      // The paper's update clipping: U / max(1, RMS(U) / d).
      var sumOfSquares = 0.0
      for b in 0..<placement.batch {
        sumOfSquares += AdafactorKernels.sumOfSquares(
          g + b * matrix, rows: rows, columns: columns, rowFactor: rowScratch.base + b * rows,
          columnFactor: columnScratch.base + b * columns)
      }
      let rms = Float(sumOfSquares.squareRoot()) / Float(Double(segment.count).squareRoot())
      scalars.denominator = max(rms / Float(clipThreshold), 1)
      scalars.decay = segment.decays ? decay : 0
      for b in 0..<placement.batch {
        let offset = segment.offset + b * matrix
        AdafactorKernels.apply(
          parameters + offset, gradients + offset, firstMoment.map { $0.base + offset }, rows: rows,
          columns: columns, rowFactor: rowScratch.base + b * rows,
          columnFactor: columnScratch.base + b * columns,
          scalars)
      }
    }
    // About 14 operations per element: G² + ε₁ and two sums, three for U and U², six to apply.
    FlopCounter.addElementwise(14 * Double(segments.reduce(0) { $0 + $1.count }))
  }
}
