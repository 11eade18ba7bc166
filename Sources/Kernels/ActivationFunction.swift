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

  /// In place: grad[i] ← grad[i] · φ′(inp[i]), with `inp` the pre-activation values.
  public func backward(grad: FloatPointer, inp: UnsafePointer<Float>, count: Int) {
    switch self {
    case .geluTanh: geluBackward(grad: grad, inp: inp, count: count)
    case .relu: reluBackward(grad: grad, inp: inp, count: count)
    }
  }
}
