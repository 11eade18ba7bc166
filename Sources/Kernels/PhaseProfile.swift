import SwiftletCore

/// Wall time per phase of a training step, for `swiftlet bench --profile`.
///
/// The model marks the end of each phase with `lap(phase)`: the time since the previous mark
/// (and the GEMM FLOPs counted since then) is booked to that phase, so one line after each
/// kernel call is all the instrumentation needs, and nothing nests. Off by default; a lap then
/// costs one branch.
public enum PhaseProfile {
  /// What a step spends its time on, in the order of the step.
  public enum Phase: String, CaseIterable, Sendable {
    case embeddingForward = "embeddings, forward"
    case layerNormForward = "LayerNorm, forward"
    case qkvForward = "QKV projection, forward"
    case attentionForward = "attention (softmax(QKᵀ)V), forward"
    case projectionForward = "attention output projection, forward"
    case residualForward = "residual adds and biases, forward"
    case mlpUpForward = "MLP up projection, forward"
    case activationForward = "GELU / ReLU, forward"
    case mlpDownForward = "MLP down projection, forward"
    case lmHeadForward = "LM head, forward"
    case crossEntropyForward = "cross-entropy, forward"
    case crossEntropyBackward = "cross-entropy, backward"
    case lmHeadBackward = "LM head, backward"
    case layerNormBackward = "LayerNorm, backward"
    case mlpDownBackward = "MLP down projection, backward"
    case activationBackward = "GELU / ReLU, backward"
    case mlpUpBackward = "MLP up projection, backward"
    case projectionBackward = "attention output projection, backward"
    case attentionBackward = "attention, backward"
    case qkvBackward = "QKV projection, backward"
    case residualBackward = "bias gradients and residual adds, backward"
    case embeddingBackward = "embeddings, backward"
    case tensorParallel = "tensor-parallel allreduces (f/g)"
    case gradientCommunication = "gradient communication (exposed)"
    case gradientNorm = "gradient norm and clipping"
    case optimizer = "optimizer"
    case other = "other (zeroing, bookkeeping)"
  }

  /// One phase's totals since `reset()`.
  public struct Totals: Sendable {
    public var seconds: Double = 0
    public var gemmFlops: Double = 0
    public var calls: Int = 0
  }

  nonisolated(unsafe) public private(set) static var enabled = false
  nonisolated(unsafe) public private(set) static var totals = [Phase: Totals]()
  nonisolated(unsafe) private static var lastTime = 0.0
  nonisolated(unsafe) private static var lastFlops = 0.0

  /// Starts (or restarts) profiling: totals cleared, the clock starts now.
  public static func start() {
    enabled = true
    totals = [:]
    mark()
  }

  public static func stop() { enabled = false }

  /// Starts a new interval without booking the time since the last lap (e.g. between steps).
  public static func mark() {
    lastTime = MonotonicClock.now()
    lastFlops = FlopCounter.matmul
  }

  /// Books the time and GEMM FLOPs since the previous lap or mark to `phase`.
  @inline(__always)
  public static func lap(_ phase: Phase) {
    guard enabled else { return }
    let now = MonotonicClock.now()
    let flops = FlopCounter.matmul
    totals[phase, default: Totals()].seconds += now - lastTime
    totals[phase, default: Totals()].gemmFlops += flops - lastFlops
    totals[phase, default: Totals()].calls += 1
    lastTime = now
    lastFlops = flops
  }
}
