import Foundation
import GPT
import Testing

/// A PyTorch reference written by Tests/Reference/make_gpt2_reference.py (`gpt2_tiny_reference`)
/// or make_opt_reference.py (`opt_tiny_reference`, `opt350m_tiny_reference`).
struct ReferenceFixture {
  let manifest: [String: Any]
  let values: [Float]
  let tensors: [String: (shape: [Int], offset: Int, count: Int)]

  init(_ stem: String = "gpt2_tiny_reference") throws {
    let directory = Bundle.module.resourceURL!.appendingPathComponent("Fixtures")
    let json = try Data(contentsOf: directory.appendingPathComponent(stem + ".json"))
    manifest = try JSONSerialization.jsonObject(with: json) as! [String: Any]
    let raw = try Data(contentsOf: directory.appendingPathComponent(stem + ".f32"))
    values = raw.withUnsafeBytes { bytes in
      (0..<(raw.count / 4)).map {
        Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)))
      }
    }
    var tensors: [String: (shape: [Int], offset: Int, count: Int)] = [:]
    for entry in manifest["tensors"] as! [[String: Any]] {
      tensors[entry["name"] as! String] = (
        entry["shape"] as! [Int], entry["offset"] as! Int, entry["count"] as! Int
      )
    }
    self.tensors = tensors
  }

  func tensor(_ name: String) -> ArraySlice<Float> {
    let t = tensors[name]!
    return values[t.offset..<(t.offset + t.count)]
  }

  func section(_ key: String) -> [String: Any] { manifest[key] as! [String: Any] }

  func doubles(_ key: String) -> [Double] { (manifest[key] as! [NSNumber]).map(\.doubleValue) }

  var batch: (b: Int, t: Int, inputs: [Int32], targets: [Int32]) {
    let batch = section("batch")
    let inputs = (batch["inputs"] as! [[Int]]).flatMap { $0 }.map(Int32.init)
    let targets = (batch["targets"] as! [[Int]]).flatMap { $0 }.map(Int32.init)
    return (batch["B"] as! Int, batch["T"] as! Int, inputs, targets)
  }
}

/// Largest |a − b| and the largest |b|, for messages that say where a comparison broke.
func maxDifference<A: Collection, B: Collection>(_ a: A, _ b: B) -> (diff: Float, scale: Float)
where A.Element == Float, B.Element == Float {
  var diff: Float = 0
  var scale: Float = 0
  for (x, y) in zip(a, b) {
    diff = max(diff, abs(x - y))
    scale = max(scale, abs(y))
  }
  return (diff, scale)
}

/// Feeds each of the fixture's sequences to a `KVCacheDecoder` token by token and returns the
/// largest difference between its logits and the fixture's full-forward `logits`.
func kvCacheLogitsDifference(model: GPTModel, fixture: ReferenceFixture) throws -> Float {
  let batch = fixture.batch
  let expected = fixture.tensor("logits")
  let v = model.config.vocabSize
  let decoder = try KVCacheDecoder(model: model)
  var worst: Float = 0
  for row in 0..<batch.b {
    decoder.reset()
    for position in 0..<batch.t {
      try decoder.append(Int(batch.inputs[row * batch.t + position]))
      let start = expected.startIndex + (row * batch.t + position) * v
      let (diff, _) = maxDifference(
        UnsafeBufferPointer(start: decoder.logits, count: v), expected[start..<(start + v)])
      worst = max(worst, diff)
    }
  }
  return worst
}

extension ReferenceFixture {
  /// The error model's shape of this fixture's model and batch.
  var errorShape: ErrorBounds.Shape {
    let c = section("config")
    let dModel = c["d_model"] as! Int
    let embed = c["word_embed_proj_dim"] as? Int
    return ErrorBounds.Shape(
      layers: c["n_layer"] as! Int, dModel: dModel, ffn: c["ffn_dim"] as? Int ?? 4 * dModel,
      headDim: dModel / (c["n_head"] as! Int), seqLen: batch.t, vocab: c["vocab_size"] as! Int,
      rows: batch.b * batch.t, embedProj: embed == dModel ? nil : embed)
  }

  /// The scale a gradient's rounding error is measured against: the tensor's largest |g|, and
  /// for a bias at least its weight's. A bias gradient is Σᵣ dYᵣ over the same rows whose weight
  /// gradient is Σᵣ xᵣᵀ·dYᵣ with LayerNorm-normalised |x| = O(1), so the same |dY| terms set both
  /// roundings; this matters where the bias gradient cancels exactly (OPT's k_proj.bias is 0
  /// because softmax ignores a shift shared by all keys, so it holds only rounding noise).
  func gradientScale(_ prefix: String, _ name: String) -> Float {
    let own = tensor(prefix + name).map(abs).max() ?? 0
    guard name.hasSuffix(".bias") else { return own }
    let weight = prefix + name.dropLast(5) + ".weight"
    guard tensors[weight] != nil else { return own }
    return max(own, tensor(weight).map(abs).max() ?? 0)
  }
}

/// Checks the parameters after the fixture's clipped AdamW steps against `params_after`
/// element by element (see `AdamWAmplification`): (a) every element within Σₜ 2·lr·Uₜ; (b) an
/// element whose step-1 clipped gradient is at least 10× its error bound within the tight bound
/// from the relative gradient error; (c) class (b) covers at least 80% of the elements, so the
/// tight check is not vacuous. Returns a one-line summary for the log.
func checkParametersAfterAdamW(
  model: GPTModel, fixture: ReferenceFixture, label: String
) -> String {
  let o = fixture.section("optimizer")
  let (lr, maxNorm) = (o["lr"] as! Double, o["grad_clip"] as! Double)
  let steps = o["steps"] as! Int
  let adam = AdamWAmplification(beta1: o["beta1"] as! Double, beta2: o["beta2"] as! Double)
  let gradientError = ErrorBounds.gradient(fixture.errorShape)
  // clip_grad_norm_ multiplies by min(1, maxNorm / (norm + 1e-6)).
  let clip = fixture.doubles("grad_norms").map { min(1, maxNorm / ($0 + 1e-6)) }
  let prefixes = ["grads/", "grads_step2/", "grads_step3/"].prefix(steps)
  let worstCase = adam.worstCase(steps: steps, lr: lr)
  var (worstA, worstB, tight, total) = (0.0, 0.0, 0, 0)
  var worstName = ""
  for tensor in model.layout.tensors {
    let expected = Array(fixture.tensor("params_after/" + tensor.name))
    let start = Array(fixture.tensor("params/" + tensor.name))
    let grads = prefixes.map { Array(fixture.tensor($0 + tensor.name)) }
    let scales = prefixes.map { Double(fixture.gradientScale($0, tensor.name)) }
    for i in 0..<tensor.count {
      let diff = Double(abs(model.parameters.base[tensor.offset + i] - expected[i]))
      // Per side and step: p·(1 − lr·λ) − update rounds 3 times at |p|, and the update
      // (clip, m, v, √, ÷, + ε, ÷, × step size) ≤ 10 times at ≤ lr·Uₜ ≤ 2·lr.
      let p = Double(max(abs(start[i]), abs(expected[i])))
      let rounding = 2 * Double(steps) * (ErrorBounds.gamma(3) * p + ErrorBounds.gamma(10) * 2 * lr)
      // Clipped-gradient error at any step: the gradient bound plus the clip factor's (same ε).
      let error = (0..<steps).map { k in clip[k] * gradientError * (scales[k] + Double(abs(grads[k][i]))) }.max()!
      let g1 = clip[0] * Double(grads[0][i])
      let ratioA = diff / (worstCase + rounding)
      worstA = max(worstA, ratioA)
      total += 1
      if abs(g1) >= 10 * error, let bound = adam.wellConditioned(steps: steps, lr: lr, g1: g1, error: error) {
        tight += 1
        let ratioB = diff / (bound + rounding)
        if ratioB > worstB { (worstB, worstName) = (ratioB, tensor.name) }
        #expect(ratioB <= 1, "\(label) \(tensor.name)[\(i)]: |param diff| \(diff) > bound \(bound + rounding)")
      }
      #expect(ratioA <= 1, "\(label) \(tensor.name)[\(i)]: |param diff| \(diff) > worst case \(worstCase + rounding)")
    }
  }
  let coverage = Double(tight) / Double(total)
  #expect(coverage >= 0.8, "\(label): only \(tight) of \(total) elements have gradients well above rounding")
  return "\(label) params after \(steps) AdamW steps: worst diff/bound (a) \(String(format: "%.3g", worstA)) "
    + "[bound \(String(format: "%.3g", worstCase))], (b) \(String(format: "%.3g", worstB)) (\(worstName)), "
    + "class (b) covers \(tight)/\(total) = \(String(format: "%.1f%%", 100 * coverage)); gradient error bound "
    + String(format: "%.3g", gradientError)
}
