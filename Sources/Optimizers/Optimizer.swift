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

  public init(name: String, offset: Int, count: Int, shape: [Int], decays: Bool) {
    self.name = name
    self.offset = offset
    self.count = count
    self.shape = shape
    self.decays = decays
  }
}

/// An optimizer that updates a parameter arena in place from a gradient arena.
public protocol Optimizer: AnyObject {
  /// Completed updates (PyTorch's `state['step']`).
  var step: Int { get set }
  /// Applies one update with learning rate `learningRate`.
  func update(parameters: FloatPointer, gradients: UnsafePointer<Float>, learningRate: Double)
  /// Applies one update to the gradients multiplied by `gradientScale` (the clipping factor),
  /// exactly as scaling them first would, but without a separate pass over memory where the
  /// optimizer supports it.
  func update(
    parameters: FloatPointer, gradients: FloatPointer, learningRate: Double, gradientScale: Float, count: Int)
  /// The arenas holding the optimizer state, by kind (e.g. `exp_avg`): for zeroing and memory
  /// figures. AdamW's are laid out like the parameters; Adafactor's factored kinds are smaller
  /// and have their own offsets, so checkpoints should address state through `stateTensors`.
  var stateArenas: [(kind: String, arena: FloatArena)] { get }
  /// Every state tensor with its own shape, one per (kind, segment) that has that state: what a
  /// checkpoint stores under `/optimizer/<kind>/<segmentName>` (CONTRACTS.md section 6).
  var stateTensors: [OptimizerStateTensor] { get }
  /// The `(kind, shape)` of every state tensor this optimizer keeps (or would keep) for a
  /// parameter segment of shape `shape`, in `stateTensors` order, whether or not the segment is
  /// one of its own: ranks that shard the state (ZeRO-1) use it to agree on what others hold.
  func stateShapes(ofParameterShape shape: [Int]) -> [(kind: String, shape: [Int])]
}

extension Optimizer {
  /// Default: scale the gradients in place, then update.
  public func update(
    parameters: FloatPointer, gradients: FloatPointer, learningRate: Double, gradientScale: Float, count: Int
  ) {
    if gradientScale != 1 { scaleInPlace(gradients, by: gradientScale, count: count) }
    update(parameters: parameters, gradients: gradients, learningRate: learningRate)
  }
}
