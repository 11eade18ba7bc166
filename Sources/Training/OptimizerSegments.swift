import GPT
import Optimizers

extension GPTModel {
  /// Optimizer segments: one per parameter tensor.
  public var optimizerSegments: [ParameterSegment] {
    layout.tensors.map {
      ParameterSegment(name: $0.name, offset: $0.offset, count: $0.count, shape: $0.localShape, decays: $0.decays)
    }
  }
}
