import CKernels

/// GELU with the tanh approximation (Hendrycks & Gimpel 2016; GPT-2's `gelu_new`):
/// `gelu(x) = ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`.

// The kernels are in Sources/CKernels (AVX2 when the CPU has it).

/// out[i] = gelu(inp[i]) for i < count.
public func geluForward(out: FloatPointer, inp: UnsafePointer<Float>, count: Int) {
  KernelThreads.forEachRange(count, minimum: 1 << 16, align: 64) { r in
    swiftlet_gelu_forward(out + r.lowerBound, inp + r.lowerBound, r.count)
  }
  FlopCounter.addElementwise(20 * Double(count))
}

/// For the backward pass: out[i] = gelu(x[i]) (as `geluForward`) and x[i] ← gelu′(x[i]) (the
/// factor the backward multiplies the gradient by), with one tanh per element instead of two.
public func geluForwardKeepingDerivative(out: FloatPointer, x: FloatPointer, count: Int) {
  KernelThreads.forEachRange(count, minimum: 1 << 16, align: 64) { r in
    swiftlet_gelu_forward_derivative(out + r.lowerBound, x + r.lowerBound, r.count)
  }
  FlopCounter.addElementwise(30 * Double(count))
}

/// x[i] *= y[i]
public func multiplyInPlace(_ x: FloatPointer, _ y: UnsafePointer<Float>, count: Int) {
  KernelThreads.forEachRange(count, minimum: 1 << 16, align: 64) { r in
    swiftlet_multiply(x + r.lowerBound, y + r.lowerBound, r.count)
  }
  FlopCounter.addElementwise(Double(count))
}
