/// GELU with the tanh approximation (Hendrycks & Gimpel 2016; GPT-2's `gelu_new`):
/// `gelu(x) = ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`.

private let geluScale: Float = 0.797_884_560_8  // √(2/π)
private let geluCubic: Float = 0.044_715

/// out[i] = gelu(inp[i]) for i < count.
public func geluForward(out: FloatPointer, inp: UnsafePointer<Float>, count: Int) {
  var i = 0
  while i + 8 <= count {
    let x = UnsafeRawPointer(inp + i).loadUnaligned(as: FastMath.Vector.self)
    let t = FastMath.tanh(geluScale * (x + geluCubic * x * x * x))
    UnsafeMutableRawPointer(out + i).storeBytes(of: 0.5 * x * (1 + t), as: FastMath.Vector.self)
    i += 8
  }
  while i < count {
    let x = inp[i]
    out[i] = 0.5 * x * (1 + FastMath.tanh(geluScale * (x + geluCubic * x * x * x)))
    i += 1
  }
  FlopCounter.addElementwise(20 * Double(count))
}

/// In place: grad[i] ← grad[i] · gelu′(inp[i]).
public func geluBackward(grad: FloatPointer, inp: UnsafePointer<Float>, count: Int) {
  var i = 0
  while i + 8 <= count {
    let x = UnsafeRawPointer(inp + i).loadUnaligned(as: FastMath.Vector.self)
    let g = UnsafeRawPointer(grad + i).loadUnaligned(as: FastMath.Vector.self)
    UnsafeMutableRawPointer(grad + i).storeBytes(of: g * geluDerivative(x), as: FastMath.Vector.self)
    i += 8
  }
  while i < count {
    grad[i] *= geluDerivative(FastMath.Vector(repeating: inp[i]))[0]
    i += 1
  }
  FlopCounter.addElementwise(25 * Double(count))
}

@inline(__always)
private func geluDerivative(_ x: FastMath.Vector) -> FastMath.Vector {
  let x2 = x * x
  let t = FastMath.tanh(geluScale * (x + geluCubic * x2 * x))
  let sech2 = 1 - t * t
  return 0.5 * (1 + t) + 0.5 * x * sech2 * geluScale * (1 + 3 * geluCubic * x2)
}
