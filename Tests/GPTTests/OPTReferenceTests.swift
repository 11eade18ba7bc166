import Foundation
import GPT
import Kernels
import MPIBindings
import Optimizers
import Parallel
import Testing

/// Compares the Swift OPT with Hugging Face `OPTForCausalLM` (Tests/Reference/make_opt_reference.py)
/// tensor by tensor, for the standard pre-LayerNorm block and opt-350m's post-LayerNorm block with
/// a narrower, projected token embedding. Same error model as `PyTorchReferenceTests` (ErrorBounds).
@Suite(.serialized)
struct OPTReferenceTests {
  static let fixtures = ["opt_tiny_reference", "opt350m_tiny_reference"]

  /// A model loaded with a fixture's initial parameters.
  struct Case {
    let fixture: ReferenceFixture
    let model: GPTModel

    init(_ stem: String) throws {
      fixture = try ReferenceFixture(stem)
      let c = fixture.section("config")
      let dModel = c["d_model"] as! Int
      let embedding = c["word_embed_proj_dim"] as! Int
      let config = GPTConfig(
        family: .opt, nLayer: c["n_layer"] as! Int, nHead: c["n_head"] as! Int, dModel: dModel,
        nCtx: c["n_ctx"] as! Int, vocabSize: c["vocab_size"] as! Int, ffnDim: c["ffn_dim"] as? Int,
        layerNorm: GPTConfig.LayerNormPlacement(rawValue: c["layer_norm"] as! String)!,
        wordEmbedProjDim: embedding == dModel ? nil : embedding)
      let world = try MPIRuntime.initialise()
      model = try GPTModel(config: config, region: TensorParallelRegion(group: world))
      // Every fixture tensor has a Swift counterpart of the same size, and vice versa.
      let stored = Set(fixture.tensors.keys.filter { $0.hasPrefix("params/") }.map { String($0.dropFirst(7)) })
      #expect(stored == Set(model.layout.tensors.map(\.name)), "tensor names differ from Hugging Face's")
      for tensor in model.layout.tensors {
        #expect(fixture.tensors["params/" + tensor.name]!.shape == tensor.fullShape, "\(tensor.name) shape")
      }
      load(prefix: "params/")
    }

    func load(prefix: String) {
      for tensor in model.layout.tensors {
        let values = fixture.tensor(prefix + tensor.name)
        for run in tensor.runs {
          for j in 0..<run.length {
            model.parameters.base[tensor.offset + run.local + j] = values[values.startIndex + run.global + j]
          }
        }
      }
    }

    func forwardLoss() throws -> Double {
      let batch = fixture.batch
      let sum = try model.forward(inputs: batch.inputs, targets: batch.targets, batch: batch.b, seqLen: batch.t)
      return sum / Double(batch.b * batch.t)
    }

    func backward() throws {
      model.gradients.zero()
      try model.backward(lossScale: 1 / Float(fixture.batch.b * fixture.batch.t))
    }

    func logits() -> [Float] {
      let v = model.config.vocabSize
      let width = model.vocabShard.count
      let all = Array(model.lastLogits)
      return (0..<(all.count / width)).flatMap { all[($0 * width)..<($0 * width + v)] }
    }
  }

  @Test(arguments: fixtures)
  func logitsAndLossMatchTransformers(_ stem: String) throws {
    let t = try Case(stem)
    let loss = try t.forwardLoss()
    let expected = t.fixture.manifest["loss"] as! Double
    let (diff, scale) = maxDifference(t.logits(), t.fixture.tensor("logits"))
    let bound = ErrorBounds.logits(t.fixture.errorShape) * Double(scale)
    let lossBound = ErrorBounds.loss(t.fixture.errorShape, maxLogit: Double(scale))
    print(
      "\(stem) logits: max diff \(diff), bound \(bound) (max |value| \(scale)); loss diff \(abs(loss - expected)), bound \(lossBound)"
    )
    #expect(Double(diff) <= bound, "logits max diff \(diff) > bound \(bound)")
    #expect(abs(loss - expected) <= lossBound, "loss \(loss) vs \(expected), bound \(lossBound)")
  }

  @Test(arguments: fixtures)
  func everyGradientMatchesTransformers(_ stem: String) throws {
    let t = try Case(stem)
    _ = try t.forwardLoss()
    try t.backward()
    let relative = ErrorBounds.gradient(t.fixture.errorShape)
    var worst = (ratio: 0.0, name: "")
    for tensor in t.model.layout.tensors {
      let expected = t.fixture.tensor("grads/" + tensor.name)
      let actual = Array(UnsafeBufferPointer(start: t.model.gradients.base + tensor.offset, count: tensor.count))
      let (diff, _) = maxDifference(actual, expected)
      // k_proj.bias's gradient is exactly 0, so it is judged at k_proj.weight's scale (gradientScale).
      let bound = relative * Double(t.fixture.gradientScale("grads/", tensor.name))
      if Double(diff) / bound > worst.ratio { worst = (Double(diff) / bound, tensor.name) }
      #expect(Double(diff) <= bound, "\(tensor.name): max |grad diff| \(diff) > bound \(bound)")
    }
    print("\(stem) gradients: worst diff/bound \(worst.ratio) (\(worst.name)); relative bound \(relative)")
  }

  @Test(arguments: fixtures)
  func threeAdamWStepsWithClippingMatchTransformers(_ stem: String) throws {
    let t = try Case(stem)
    let o = t.fixture.section("optimizer")
    let adam = AdamW(
      segments: t.model.layout.tensors.map {
        ParameterSegment(name: $0.name, offset: $0.offset, count: $0.count, shape: $0.localShape, decays: $0.decays)
      },
      arenaCount: t.model.layout.count, beta1: o["beta1"] as! Double, beta2: o["beta2"] as! Double,
      epsilon: o["eps"] as! Double, weightDecay: o["weight_decay"] as! Double)
    let expectedLosses = t.fixture.doubles("step_losses")
    let expectedNorms = t.fixture.doubles("grad_norms")
    let shape = t.fixture.errorShape
    let normBound = ErrorBounds.gradientNorm(shape, parameterCount: t.model.layout.count)
    for step in 0..<3 {
      let loss = try t.forwardLoss()
      let lossBound = ErrorBounds.loss(shape, maxLogit: Double(t.logits().map(abs).max()!))
      #expect(abs(loss - expectedLosses[step]) <= lossBound, "step \(step + 1) loss \(loss), bound \(lossBound)")
      try t.backward()
      let norm = sumOfSquares(t.model.gradients.base, count: t.model.layout.count).squareRoot()
      #expect(
        abs(norm - expectedNorms[step]) <= normBound * expectedNorms[step],
        "step \(step + 1) grad norm \(norm), relative bound \(normBound)")
      GradientClipping.clip(
        t.model.gradients.base, count: t.model.layout.count, norm: norm, maxNorm: o["grad_clip"] as! Double)
      adam.update(
        parameters: t.model.parameters.base, gradients: t.model.gradients.base, learningRate: o["lr"] as! Double)
    }
    print(checkParametersAfterAdamW(model: t.model, fixture: t.fixture, label: stem))
    // logits_after from the fixture's params_after (checked above), so the forward bound applies.
    t.load(prefix: "params_after/")
    _ = try t.forwardLoss()
    let (diff, scale) = maxDifference(t.logits(), t.fixture.tensor("logits_after"))
    let bound = ErrorBounds.logits(shape) * Double(scale)
    print("\(stem) logits after training: max diff \(diff), bound \(bound)")
    #expect(Double(diff) <= bound, "logits after training: max diff \(diff) > bound \(bound)")
  }

  @Test(arguments: fixtures)
  func kvCacheDecoderReproducesTheFullForwardLogits(_ stem: String) throws {
    let t = try Case(stem)
    let worst = try kvCacheLogitsDifference(model: t.model, fixture: t.fixture)
    let bound = ErrorBounds.logits(t.fixture.errorShape) * Double(t.fixture.tensor("logits").map(abs).max()!)
    print("\(stem) KV-cache logits: max diff \(worst), bound \(bound)")
    #expect(Double(worst) <= bound, "KV-cache logits differ from transformers by \(worst) > bound \(bound)")
  }
}
