/// The element-wise nonlinearity between an MLP's two dense layers.
public enum ActivationFunction: String, Sendable {
  /// Tanh-approximated GELU (GPT-2's `gelu_new`).
  case geluTanh
  /// ReLU (OPT).
  case relu

  /// out[i] = φ(inp[i]) for i < count.
  public func forward(out: FloatPointer, inp: UnsafePointer<Float>, count: Int) {
    switch self {
    case .geluTanh: geluForward(out: out, inp: inp, count: count)
    case .relu: reluForward(out: out, inp: inp, count: count)
    }
  }

  /// The backward pass's recomputation: out[i] = φ(x[i]), and `x` replaced by what
  /// `backward(grad:saved:count:)` needs (GELU: φ′(x), computed in the same pass; ReLU: x itself).
  public func recomputeForBackward(out: FloatPointer, x: FloatPointer, count: Int) {
    switch self {
    case .geluTanh: geluForwardKeepingDerivative(out: out, x: x, count: count)
    case .relu: reluForward(out: out, inp: x, count: count)
    }
  }

  /// In place: grad[i] ← grad[i] · φ′(x[i]), from what `recomputeForBackward` left in `saved`.
  public func backward(grad: FloatPointer, saved: UnsafePointer<Float>, count: Int) {
    switch self {
    case .geluTanh: multiplyInPlace(grad, saved, count: count)
    case .relu: reluBackward(grad: grad, inp: saved, count: count)
    }
  }
}
