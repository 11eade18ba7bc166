/// The rectified linear unit, OPT's MLP activation: `relu(x) = max(x, 0)`.

/// out[i] = max(inp[i], 0) for i < count (`out` may be `inp`).
public func reluForward(out: FloatPointer, inp: UnsafePointer<Float>, count: Int) {
  for i in 0..<count { out[i] = max(inp[i], 0) }
  FlopCounter.addElementwise(Double(count))
}

/// In place: grad[i] ← grad[i] where inp[i] > 0, else 0 (PyTorch's choice of 0 at x = 0).
public func reluBackward(grad: FloatPointer, inp: UnsafePointer<Float>, count: Int) {
  for i in 0..<count where !(inp[i] > 0) { grad[i] = 0 }
  FlopCounter.addElementwise(Double(count))
}
