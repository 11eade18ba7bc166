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
  /// Named state arenas laid out like the parameters (for checkpoints), e.g. `exp_avg`.
  var stateArenas: [(kind: String, arena: FloatArena)] { get }
}
