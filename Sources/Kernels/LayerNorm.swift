import CKernels

/// LayerNorm over the last dimension: `y = (x − μ) / sqrt(σ² + ε) · w + b`, ε = 1e-5 (GPT-2).

public let layerNormEpsilon: Float = 1e-5

/// out[N, C], mean[N], rstd[N] ← LayerNorm(inp[N, C]; weight[C], bias[C])
public func layerNormForward(
  out: FloatPointer, mean: FloatPointer, rstd: FloatPointer,
  inp: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
  rows: Int, channels: Int
) {
  swiftlet_layernorm_forward(out, mean, rstd, inp, weight, bias, rows, channels, layerNormEpsilon)
  FlopCounter.addElementwise(8 * Double(rows * channels))
}

/// Backward of LayerNorm. Accumulates into dinp, dweight and dbias:
/// with x̂ = (x − μ)·rstd and g = dout·w,
/// dx = rstd · (g − mean(g) − x̂ · mean(g · x̂)).
public func layerNormBackward(
  dinp: FloatPointer, dweight: FloatPointer, dbias: FloatPointer,
  dout: UnsafePointer<Float>, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
  mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>, rows: Int, channels: Int
) {
  swiftlet_layernorm_backward(dinp, dweight, dbias, dout, inp, weight, mean, rstd, rows, channels)
  FlopCounter.addElementwise(16 * Double(rows * channels))
}
