import Foundation
import GPT
import Kernels
import MPIBindings
import Optimizers
import Parallel
import Testing

/// Compares the Swift GPT-2 with the PyTorch fixture tensor by tensor, as llm.c's test_gpt2.
@Suite(.serialized)
struct PyTorchReferenceTests {
  let fixture: ReferenceFixture
  let model: GPTModel

  init() throws {
    fixture = try ReferenceFixture()
    let c = fixture.section("config")
    let config = GPTConfig(
      nLayer: c["n_layer"] as! Int, nHead: c["n_head"] as! Int, dModel: c["d_model"] as! Int,
      nCtx: c["n_ctx"] as! Int, vocabSize: c["vocab_size"] as! Int)
    let world = try MPIRuntime.initialise()
    model = try GPTModel(config: config, region: TensorParallelRegion(group: world))
    load(prefix: "params/")
  }

  func load(prefix: String) {
    for tensor in model.layout.tensors {
      let values = fixture.tensor(prefix + tensor.name)
      #expect(values.count == tensor.fullCount, "\(tensor.name) size")
      for run in tensor.runs {
        for j in 0..<run.length {
          model.parameters.base[tensor.offset + run.local + j] = values[values.startIndex + run.global + j]
        }
      }
    }
  }

  func logits() -> [Float] {
    // Drop vocabulary padding columns (none at tp = 1, kept general).
    let v = model.config.vocabSize
    let width = model.vocabShard.count
    let all = Array(model.lastLogits)
    return (0..<(all.count / width)).flatMap { all[($0 * width)..<($0 * width + v)] }
  }

  func forwardBackward() throws -> Double {
    let batch = fixture.batch
    let sum = try model.forward(inputs: batch.inputs, targets: batch.targets, batch: batch.b, seqLen: batch.t)
    return sum / Double(batch.b * batch.t)
  }

  @Test func logitsAndLossMatchPyTorch() throws {
    let loss = try forwardBackward()
    let expected = fixture.manifest["loss"] as! Double
    let (diff, scale) = maxDifference(logits(), fixture.tensor("logits"))
    let bound = ErrorBounds.logits(fixture.errorShape) * Double(scale)
    let lossBound = ErrorBounds.loss(fixture.errorShape, maxLogit: Double(scale))
    print(
      "logits: max diff \(diff), bound \(bound) (max |value| \(scale)); loss diff \(abs(loss - expected)), bound \(lossBound)"
    )
    #expect(Double(diff) <= bound, "logits max diff \(diff) > bound \(bound)")
    #expect(abs(loss - expected) <= lossBound, "loss \(loss) vs \(expected), bound \(lossBound)")
  }

  @Test func everyGradientMatchesPyTorch() throws {
    _ = try forwardBackward()
    model.gradients.zero()
    let batch = fixture.batch
    try model.backward(lossScale: 1 / Float(batch.b * batch.t))
    let relative = ErrorBounds.gradient(fixture.errorShape)
    var worst = (ratio: 0.0, name: "")
    for tensor in model.layout.tensors {
      let expected = fixture.tensor("grads/" + tensor.name)
      let actual = Array(UnsafeBufferPointer(start: model.gradients.base + tensor.offset, count: tensor.count))
      let (diff, _) = maxDifference(actual, expected)
      let bound = relative * Double(fixture.gradientScale("grads/", tensor.name))
      if Double(diff) / bound > worst.ratio { worst = (Double(diff) / bound, tensor.name) }
      print("grad \(tensor.name): max diff \(diff), bound \(bound)")
      #expect(Double(diff) <= bound, "\(tensor.name): max |grad diff| \(diff) > bound \(bound)")
    }
    print("gradients: worst diff/bound \(worst.ratio) (\(worst.name)); relative bound \(relative)")
  }

  @Test func threeAdamWStepsWithClippingMatchPyTorch() throws {
    let o = fixture.section("optimizer")
    let segments = model.layout.tensors.map {
      ParameterSegment(name: $0.name, offset: $0.offset, count: $0.count, shape: $0.localShape, decays: $0.decays)
    }
    let adam = AdamW(
      segments: segments, arenaCount: model.layout.count, beta1: o["beta1"] as! Double,
      beta2: o["beta2"] as! Double, epsilon: o["eps"] as! Double, weightDecay: o["weight_decay"] as! Double)
    let expectedLosses = fixture.doubles("step_losses")
    let expectedNorms = fixture.doubles("grad_norms")
    let batch = fixture.batch
    let shape = fixture.errorShape
    let normBound = ErrorBounds.gradientNorm(shape, parameterCount: model.layout.count)
    for step in 0..<3 {
      let loss = try forwardBackward()
      let lossBound = ErrorBounds.loss(shape, maxLogit: Double(logits().map(abs).max()!))
      #expect(abs(loss - expectedLosses[step]) <= lossBound, "step \(step + 1) loss \(loss), bound \(lossBound)")
      model.gradients.zero()
      try model.backward(lossScale: 1 / Float(batch.b * batch.t))
      let norm = sumOfSquares(model.gradients.base, count: model.layout.count).squareRoot()
      #expect(
        abs(norm - expectedNorms[step]) <= normBound * expectedNorms[step],
        "step \(step + 1) grad norm \(norm), relative bound \(normBound)")
      GradientClipping.clip(
        model.gradients.base, count: model.layout.count, norm: norm, maxNorm: o["grad_clip"] as! Double)
      adam.update(parameters: model.parameters.base, gradients: model.gradients.base, learningRate: o["lr"] as! Double)
    }
    print(checkParametersAfterAdamW(model: model, fixture: fixture, label: "gpt2"))
    // logits_after exercise the non-zero biases and non-unit gains; computed from the fixture's
    // params_after (the parameters are checked above), so the forward bound applies.
    load(prefix: "params_after/")
    _ = try forwardBackward()
    let (diff, scale) = maxDifference(logits(), fixture.tensor("logits_after"))
    let bound = ErrorBounds.logits(shape) * Double(scale)
    print("logits after training: max diff \(diff), bound \(bound)")
    #expect(Double(diff) <= bound, "logits after training: max diff \(diff) > bound \(bound)")
  }
}

extension PyTorchReferenceTests {
  @Test func kvCacheDecoderReproducesTheFullForwardLogits() throws {
    let worst = try kvCacheLogitsDifference(model: model, fixture: fixture)
    let scale = fixture.tensor("logits").map(abs).max()!
    let bound = ErrorBounds.logits(fixture.errorShape) * Double(scale)
    print("KV-cache logits: max diff \(worst), bound \(bound)")
    #expect(Double(worst) <= bound, "KV-cache logits differ from PyTorch by \(worst) > bound \(bound)")
  }

  @Test func samplingIsGreedyAtZeroTemperatureAndSeededOtherwise() {
    let logits: [Float] = [0.1, 2.0, -1.0, 1.9]
    let greedy = TokenSampler(temperature: 0, topK: 0, seed: 1)
    #expect(logits.withUnsafeBufferPointer { greedy.pick(logits: $0.baseAddress!, vocabSize: 4, draw: 0) } == 1)
    let a = TokenSampler(temperature: 1, topK: 2, seed: 9)
    let b = TokenSampler(temperature: 1, topK: 2, seed: 9)
    let drawsA = (0..<50).map { i in
      logits.withUnsafeBufferPointer { a.pick(logits: $0.baseAddress!, vocabSize: 4, draw: i) }
    }
    let drawsB = (0..<50).map { i in
      logits.withUnsafeBufferPointer { b.pick(logits: $0.baseAddress!, vocabSize: 4, draw: i) }
    }
    #expect(drawsA == drawsB)
    #expect(Set(drawsA).isSubset(of: [1, 3]), "top-2 keeps tokens 1 and 3 only")
    #expect(Set(drawsA).count == 2, "both top-2 tokens drawn at temperature 1")
  }
}
