import SwiftletCore

/// Which consecutive layers one pipeline stage holds (docs/parallelism.md).
///
/// `n_layer` is split into `count` equal runs of blocks. The first stage also holds the token and
/// position embeddings, the last the final LayerNorm and the LM head; with more than one stage
/// the last stage keeps its own copy of the token embedding for the tied head, which the training
/// step keeps identical to the first stage's (their gradients are summed before the update).
public struct PipelineStage: Equatable, Sendable {
  /// This stage's position, 0 ..< `count`.
  public let index: Int
  /// Stages in the pipeline.
  public let count: Int
  /// Global index of the stage's first block.
  public let firstLayer: Int
  /// Blocks this stage runs.
  public let layerCount: Int

  /// The one stage of an unsplit model.
  public static func whole(layers: Int) -> PipelineStage {
    PipelineStage(index: 0, count: 1, firstLayer: 0, layerCount: layers)
  }

  private init(index: Int, count: Int, firstLayer: Int, layerCount: Int) {
    self.index = index
    self.count = count
    self.firstLayer = firstLayer
    self.layerCount = layerCount
  }

  /// Stage `index` of `count` over `layers` blocks; `layers` must divide evenly.
  public init(index: Int, of count: Int, layers: Int) throws {
    guard count >= 1, index >= 0, index < count else {
      throw SwiftletError("pipeline stage \(index) of \(count) does not exist")
    }
    guard layers % count == 0 else {
      throw SwiftletError(
        "model.n_layer (\(layers)) is not divisible into \(count) pipeline stages; "
          + "choose parallel.pp among the divisors of \(layers)")
    }
    let perStage = layers / count
    self.init(index: index, count: count, firstLayer: index * perStage, layerCount: perStage)
  }

  public var isFirst: Bool { index == 0 }
  public var isLast: Bool { index == count - 1 }
  /// Global indices of the blocks this stage runs.
  public var layers: Range<Int> { firstLayer..<(firstLayer + layerCount) }
  /// Whether this stage holds a copy of the token embedding that another stage also holds (the
  /// last stage's tied LM head): counted once in norms, written once in checkpoints.
  public var holdsTiedCopy: Bool { isLast && !isFirst }
}
