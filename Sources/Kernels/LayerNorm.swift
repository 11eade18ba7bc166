/// LayerNorm over the last dimension: `y = (x − μ) / sqrt(σ² + ε) · w + b`, ε = 1e-5 (GPT-2).

public let layerNormEpsilon: Float = 1e-5

/// out[N, C], mean[N], rstd[N] ← LayerNorm(inp[N, C]; weight[C], bias[C])
public func layerNormForward(
  out: FloatPointer, mean: FloatPointer, rstd: FloatPointer,
  inp: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
  rows: Int, channels: Int
) {
  let scale = 1 / Float(channels)
  for r in 0..<rows {
    let x = inp + r * channels
    var sum: Float = 0
    for c in 0..<channels { sum += x[c] }
    let mu = sum * scale
    var variance: Float = 0
    for c in 0..<channels {
      let d = x[c] - mu
      variance += d * d
    }
    let s = 1 / (variance * scale + layerNormEpsilon).squareRoot()
    let y = out + r * channels
    for c in 0..<channels {
      y[c] = (x[c] - mu) * s * weight[c] + bias[c]
    }
    mean[r] = mu
    rstd[r] = s
  }
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
  let scale = 1 / Float(channels)
  for r in 0..<rows {
    let x = inp + r * channels
    let dy = dout + r * channels
    let dx = dinp + r * channels
    let mu = mean[r]
    let s = rstd[r]
    var meanG: Float = 0
    var meanGX: Float = 0
    for c in 0..<channels {
      let xhat = (x[c] - mu) * s
      let g = dy[c] * weight[c]
      meanG += g
      meanGX += g * xhat
    }
    meanG *= scale
    meanGX *= scale
    for c in 0..<channels {
      let xhat = (x[c] - mu) * s
      let g = dy[c] * weight[c]
      dbias[c] += dy[c]
      dweight[c] += xhat * dy[c]
      dx[c] += (g - meanG - xhat * meanGX) * s
    }
  }
  FlopCounter.addElementwise(16 * Double(rows * channels))
}
