import Kernels

/// A slice of the parameter arena that an optimizer treats as one tensor.
public struct ParameterSegment: Sendable {
  public var name: String
  public var offset: Int
  public var count: Int
  /// Local shape (Adafactor factors the second moment of matrices).
  public var shape: [Int]
  /// Whether decoupled weight decay applies (2-D weights and embeddings only).
  public var decays: Bool
  /// How this local segment relates to the full tensor when it is a tensor-parallel shard.
  public var split: SegmentSplit

  public init(
    name: String, offset: Int, count: Int, shape: [Int], decays: Bool, split: SegmentSplit = .whole
  ) {
    self.name = name
    self.offset = offset
    self.count = count
    self.shape = shape
    self.decays = decays
    self.split = split
  }
}

/// How a segment's local values relate to the full tensor, for optimizers whose update depends
/// on more than one element at a time (Adafactor's row and column means, its update RMS).
public enum SegmentSplit: Equatable, Sendable {
  /// The segment is the whole tensor (also: a replicated copy of it).
  case whole
  /// The segment's first `validRows` rows are a slice of the full tensor's `fullRows` rows;
  /// any further local rows are padding (a vocabulary padded to a multiple of tp) and are left
  /// untouched.
  case rows(validRows: Int, fullRows: Int)
  /// The segment's columns (last dimension) are a subset of the full tensor's `fullColumns`.
  case columns(fullColumns: Int)
}

/// Sums `count` doubles element-wise across the ranks that hold the other shards of the split
/// segments (the tensor-parallel group), in place, on every such rank.
public typealias ShardSum = (_ values: UnsafeMutablePointer<Double>, _ count: Int) throws -> Void

/// An optimizer that updates a parameter arena in place from a gradient arena.
public protocol Optimizer: AnyObject {
  /// Completed updates (PyTorch's `state['step']`).
  var step: Int { get set }
  /// Applies one update with learning rate `learningRate`. Throws only when a collective of a
  /// tensor-parallel optimizer fails.
  func update(parameters: FloatPointer, gradients: UnsafePointer<Float>, learningRate: Double) throws
  /// Applies one update to the gradients multiplied by `gradientScale` (the clipping factor),
  /// exactly as scaling them first would, but without a separate pass over memory where the
  /// optimizer supports it.
  func update(
    parameters: FloatPointer, gradients: FloatPointer, learningRate: Double, gradientScale: Float, count: Int) throws
  /// The arenas holding the optimizer state, by kind (e.g. `exp_avg`): for zeroing and memory
  /// figures. AdamW's are laid out like the parameters; Adafactor's factored kinds are smaller
  /// and have their own offsets, so checkpoints should address state through `stateTensors`.
  var stateArenas: [(kind: String, arena: FloatArena)] { get }
  /// Every state tensor with its own shape, one per (kind, segment) that has that state: what a
  /// checkpoint stores under `/optimizer/<kind>/<segmentName>` (docs/checkpoint-format.md).
  var stateTensors: [OptimizerStateTensor] { get }
  /// The `(kind, shape)` of every state tensor this optimizer keeps (or would keep) for a
  /// parameter segment of shape `shape`, in `stateTensors` order, whether or not the segment is
  /// one of its own: ranks that shard the state (ZeRO-1) use it to agree on what others hold.
  func stateShapes(ofParameterShape shape: [Int]) -> [(kind: String, shape: [Int], extent: OptimizerStateTensor.Extent)]
}

extension Optimizer {
  /// Default: scale the gradients in place, then update.
  public func update(
    parameters: FloatPointer, gradients: FloatPointer, learningRate: Double, gradientScale: Float, count: Int
  ) throws {
    if gradientScale != 1 { scaleInPlace(gradients, by: gradientScale, count: count) }
    try update(parameters: parameters, gradients: gradients, learningRate: learningRate)
  }
}
