import Kernels

/// One optimizer state tensor of one parameter segment: a view into a state arena.
///
/// Checkpoints store it as `/optimizer/<kind>/<segmentName>` with `shape`. Kinds and shapes follow
/// PyTorch's state dicts: AdamW's `exp_avg` and `exp_avg_sq` have the segment's shape;
/// Adafactor's `exp_avg_sq_row` is the shape without its last dimension, `exp_avg_sq_col` the
/// shape without its second-to-last, `exp_avg_sq` (1-D segments) and `exp_avg` (with `beta1`)
/// the segment's shape. Shapes are local: under tensor parallelism they describe this rank's
/// part of the full tensor's state (for Adafactor, the slice of the full matrix's factors that
/// belongs to this shard's rows or columns).
public struct OptimizerStateTensor {
  /// Which part of the parameter's shape the state covers.
  public enum Extent: Sendable {
    /// The parameter's own shape (moments).
    case parameter
    /// The shape without its last dimension (a mean over each row).
    case rowReduction
    /// The shape without its second-to-last dimension (a mean over each column).
    case columnReduction
  }

  /// The state's name in PyTorch, e.g. `exp_avg_sq_row`.
  public let kind: String
  /// The parameter segment the state belongs to (a Hugging Face state-dict name).
  public let segmentName: String
  /// Row-major shape of the state tensor.
  public let shape: [Int]
  /// The first of `count` contiguous floats, owned by one of the optimizer's `stateArenas`.
  public let pointer: FloatPointer
  public let extent: Extent

  /// Elements in the tensor (the product of `shape`; 1 for a scalar).
  public var count: Int { shape.reduce(1, *) }
}

extension AdamW {
  /// Both moments of every segment, shaped like the segment.
  public var stateTensors: [OptimizerStateTensor] {
    stateArenas.flatMap { state in
      segments.map {
        OptimizerStateTensor(
          kind: state.kind, segmentName: $0.name, shape: $0.shape,
          pointer: state.arena.base + $0.offset, extent: .parameter)
      }
    }
  }

  public func stateShapes(ofParameterShape shape: [Int]) -> [(
    kind: String, shape: [Int], extent: OptimizerStateTensor.Extent
  )] {
    stateArenas.map { ($0.kind, shape, .parameter) }
  }
}
