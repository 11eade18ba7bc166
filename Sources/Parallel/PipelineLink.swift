import Kernels
import MPIBindings

/// The point-to-point operations between neighbouring pipeline stages (docs/parallelism.md),
/// over `ProcessGrid.pipeline` (member `s` runs stage `s`).
///
/// Forward: a stage sends its output activations `[B, T, C]` to the next stage. Backward: it
/// sends ∂L/∂input to the previous one. Every transfer is non-blocking, so sends never wait for
/// the neighbour to be ready (the 1F1B schedule has both neighbours sending at once) and a
/// receive can be posted long before its data is needed. Messages between two stages arrive in
/// the order they were sent (MPI's non-overtaking rule), so micro-batches need no tag of their own.
public struct PipelineLink {
  public let group: Communicator

  private enum Tag: Int {
    case activation = 1
    case gradient = 2
    case tiedEmbedding = 3
  }

  /// Where the other stage's tied-embedding gradient arrives: allocated at the first step and
  /// kept, since the tensor (154 MB for GPT-2) is exchanged every step.
  private let tiedScratch = ReceiveBuffer()

  public init(group: Communicator) { self.group = group }

  public var stage: Int { group.rank }
  public var stages: Int { group.size }
  public var isFirst: Bool { stage == 0 }
  public var isLast: Bool { stage == stages - 1 }

  /// A transfer in flight; its buffer must stay untouched until `wait()` returns.
  public struct Transfer {
    let request: PendingRequest
    /// Blocks until the transfer has completed (the collective watchdog names it if it hangs).
    public func wait() throws { try request.wait() }
  }

  /// Starts sending this stage's output activations to the next stage.
  public func sendActivations(_ buffer: UnsafePointer<Float>, count: Int) throws -> Transfer {
    Transfer(request: try group.startSend(buffer, count: count, to: stage + 1, tag: Tag.activation.rawValue))
  }

  /// Starts receiving the previous stage's output activations (this stage's input).
  public func receiveActivations(into buffer: UnsafeMutablePointer<Float>, count: Int) throws -> Transfer {
    Transfer(request: try group.startReceive(buffer, count: count, from: stage - 1, tag: Tag.activation.rawValue))
  }

  /// Starts sending ∂L/∂input of this stage to the previous stage.
  public func sendGradient(_ buffer: UnsafePointer<Float>, count: Int) throws -> Transfer {
    Transfer(request: try group.startSend(buffer, count: count, to: stage - 1, tag: Tag.gradient.rawValue))
  }

  /// Starts receiving ∂L/∂output of this stage from the next stage.
  public func receiveGradient(into buffer: UnsafeMutablePointer<Float>, count: Int) throws -> Transfer {
    Transfer(request: try group.startReceive(buffer, count: count, from: stage + 1, tag: Tag.gradient.rawValue))
  }

  /// Makes the first and the last stage's copies of the tied token-embedding gradient their sum
  /// (Megatron's embedding group): each sends its copy to the other and adds what it receives,
  /// so both hold bit-identical sums and the two copies of the weight stay identical after
  /// the update. Called by those two stages only.
  public func sumTiedEmbeddingGradient(_ gradient: UnsafeMutablePointer<Float>, count: Int) throws {
    precondition(stages > 1 && (isFirst || isLast))
    let peer = isFirst ? stages - 1 : 0
    let other = tiedScratch.pointer(count: count)
    let send = try group.startSend(UnsafePointer(gradient), count: count, to: peer, tag: Tag.tiedEmbedding.rawValue)
    try group.receive(other, count: count, from: peer, tag: Tag.tiedEmbedding.rawValue)
    try send.wait()
    // a + b == b + a in floating point: both stages get the same bits.
    for i in 0..<count { gradient[i] += other[i] }
  }
}

/// A float buffer that grows to the largest size asked for and is reused.
private final class ReceiveBuffer {
  private var arena: FloatArena?

  func pointer(count: Int) -> UnsafeMutablePointer<Float> {
    if (arena?.count ?? -1) < count { arena = FloatArena(count: count) }
    return arena!.base
  }
}
