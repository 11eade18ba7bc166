import GPT
import Optimizers

extension GPTModel {
  /// Optimizer segments: one per parameter tensor, with how its shard relates to the full
  /// tensor (Adafactor factors the full matrix, so it must know which dimension is split).
  public var optimizerSegments: [ParameterSegment] {
    layout.tensors.map {
      ParameterSegment(
        name: $0.name, offset: $0.offset, count: $0.count, shape: $0.localShape, decays: $0.decays,
        split: $0.segmentSplit)
    }
  }

  /// The segments of the tensors starting in `range`, with offsets relative to its start: an
  /// optimizer over one ZeRO-1 owner's part of the arena.
  public func optimizerSegments(in range: Range<Int>) -> [ParameterSegment] {
    optimizerSegments.filter { range.contains($0.offset) }.map {
      var segment = $0
      segment.offset -= range.lowerBound
      return segment
    }
  }
}

extension ParameterTensor {
  /// The optimizer's view of this tensor's tensor-parallel sharding.
  var segmentSplit: SegmentSplit {
    guard tpSize > 1 else { return .whole }
    // A vector is one row: any split of it is a split of its columns.
    if fullShape.count == 1, sharding != .replicated { return .columns(fullColumns: fullShape[0]) }
    switch sharding {
    case .replicated:
      return .whole
    case .rows, .vocabRows:
      return .rows(validRows: validRows, fullRows: fullShape[0])
    case .columns:
      return .columns(fullColumns: fullShape[fullShape.count - 1])
    }
  }

}
