import GPT
import Optimizers

extension GPTModel {
  /// Optimizer segments: one per parameter tensor.
  public var optimizerSegments: [ParameterSegment] {
    layout.tensors.map {
      ParameterSegment(name: $0.name, offset: $0.offset, count: $0.count, shape: $0.localShape, decays: $0.decays)
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
