import MPIBindings

/// Megatron-LM's conjugate communication operations for tensor parallelism
/// (Shoeybi et al. 2019, section 3, the `f` and `g` operators).
///
/// A column-parallel layer is entered through `f` and a row-parallel layer is left through `g`:
///
///     x ─f→ [X·A_i] (column-parallel) → [·B_i] (row-parallel) ─g→ y
///
/// - `f` (copy to region): identity in the forward pass; in the backward pass each rank holds
///   only its part of ∂L/∂x, so the parts are summed with an allreduce.
/// - `g` (reduce from region): the forward sums the ranks' partial outputs with an allreduce;
///   the backward passes the gradient through unchanged.
///
/// Because the model computes forward and backward explicitly, each operator has one method per
/// direction; the no-op halves are kept so that the model code names every boundary.
public struct TensorParallelRegion {
  public let group: Communicator

  public init(group: Communicator) {
    self.group = group
  }

  public var rank: Int { group.rank }
  public var size: Int { group.size }

  /// `f` forward: identity.
  @inline(__always)
  public func copyToRegionForward(_ x: UnsafeMutablePointer<Float>, count: Int) {}

  /// `f` backward: sum the partial input gradients of a column-parallel layer.
  public func copyToRegionBackward(_ grad: UnsafeMutablePointer<Float>, count: Int) throws {
    try group.allreduce(grad, count: count)
  }

  /// `g` forward: sum the partial outputs of a row-parallel layer.
  public func reduceFromRegionForward(_ x: UnsafeMutablePointer<Float>, count: Int) throws {
    try group.allreduce(x, count: count)
  }

  /// `g` backward: identity.
  @inline(__always)
  public func reduceFromRegionBackward(_ grad: UnsafeMutablePointer<Float>, count: Int) {}
}
