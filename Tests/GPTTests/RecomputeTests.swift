import GPT
import MPIBindings
import Parallel
import Testing

/// Activation recomputation (`GPTModel.recomputesBlocks`) runs the same kernels on the same
/// inputs, so the loss and every gradient must be bit-identical to the stored-activation run,
/// while the activation arena keeps only one block input per layer.
@Suite(.serialized)
struct RecomputeTests {
  static let tiny = GPTConfig(nLayer: 4, nHead: 4, dModel: 32, nCtx: 16, vocabSize: 101)
  /// Every block variant: GPT-2, OPT (ReLU, [out, in] weights, position offset) and the
  /// opt-350m shape (post-LayerNorm blocks, a narrower embedding with projections).
  static let variants: [(name: String, config: GPTConfig)] = [
    ("gpt2", tiny),
    ("opt", GPTConfig(family: .opt, nLayer: 4, nHead: 4, dModel: 32, nCtx: 16, vocabSize: 101)),
    (
      "opt-350m",
      GPTConfig(
        family: .opt, nLayer: 4, nHead: 4, dModel: 32, nCtx: 16, vocabSize: 101, layerNorm: .post,
        wordEmbedProjDim: 16)
    ),
  ]
  static let (batch, seqLen) = (2, 16)

  /// Loss sum, per-token losses, gradients and activation bytes of one forward/backward pass.
  func step(recompute: Bool, config: GPTConfig = tiny) throws -> (
    loss: Double, losses: [Float], gradients: [Float], bytes: Int
  ) {
    let world = try MPIRuntime.initialise()
    let model = try GPTModel(config: config, region: TensorParallelRegion(group: world))
    ModelInitializer.initialize(model.parameters, layout: model.layout, seed: 3)
    model.recomputesBlocks = recompute
    let n = Self.batch * Self.seqLen
    let inputs = (0..<n).map { Int32($0 * 7 % 101) }
    let targets = (0..<n).map { Int32($0 * 5 % 101) }
    model.gradients.zero()
    let loss = try model.forward(inputs: inputs, targets: targets, batch: Self.batch, seqLen: Self.seqLen)
    let losses = Array(model.lastLosses)
    try model.backward(lossScale: 1 / Float(n))
    let gradients = Array(UnsafeBufferPointer(start: model.gradients.base, count: model.layout.count))
    return (loss, losses, gradients, model.activationBytes)
  }

  @Test(arguments: 0..<3) func lossAndGradientsAreBitIdentical(variant: Int) throws {
    let (name, config) = Self.variants[variant]
    let stored = try step(recompute: false, config: config)
    let recomputed = try step(recompute: true, config: config)
    #expect(stored.loss.bitPattern == recomputed.loss.bitPattern, "\(name): \(stored.loss) vs \(recomputed.loss)")
    #expect(stored.losses.map(\.bitPattern) == recomputed.losses.map(\.bitPattern))
    #expect(stored.gradients.count == recomputed.gradients.count)
    let differing = zip(stored.gradients, recomputed.gradients).filter { $0.bitPattern != $1.bitPattern }.count
    #expect(differing == 0, "\(name): \(differing) of \(stored.gradients.count) gradients differ")
    // The gradients must be real ones, not two equal arrays of zeros.
    #expect(stored.gradients.filter { $0 != 0 }.count > stored.gradients.count / 2)
  }

  /// Each of the L − 1 dropped layer sets is everything but the block input: two LayerNorm
  /// outputs and the mid residual (3·C), QKV and attention output (4·C at tp = 1), the MLP
  /// pre-activation (4·C), four LayerNorm statistics per token and the log-sum-exp `B·H·T`.
  /// (Every size is a multiple of the arena's 16-float alignment here, so the count is exact.)
  @Test func keepsOnlyTheBlockInputPerLayer() throws {
    let stored = try step(recompute: false)
    let recomputed = try step(recompute: true)
    let (n, c) = (Self.batch * Self.seqLen, Self.tiny.dModel)
    let restOfLayer = n * (3 * c + 4 * c + 4 * c + 4) + Self.batch * Self.tiny.nHead * Self.seqLen
    #expect(stored.bytes - recomputed.bytes == (Self.tiny.nLayer - 1) * restOfLayer * 4)
  }

  /// Switching the flag after a pass reallocates the arena and keeps the results.
  @Test func switchingTheFlagReallocates() throws {
    let world = try MPIRuntime.initialise()
    let model = try GPTModel(config: Self.tiny, region: TensorParallelRegion(group: world))
    ModelInitializer.initialize(model.parameters, layout: model.layout, seed: 3)
    let n = Self.batch * Self.seqLen
    let inputs = (0..<n).map { Int32($0 % 101) }
    let first = try model.forward(inputs: inputs, targets: inputs, batch: Self.batch, seqLen: Self.seqLen)
    let storedBytes = model.activationBytes
    model.recomputesBlocks = true
    #expect(model.activationBytes == 0)
    let second = try model.forward(inputs: inputs, targets: inputs, batch: Self.batch, seqLen: Self.seqLen)
    #expect(model.activationBytes < storedBytes)
    #expect(first.bitPattern == second.bitPattern)
  }
}
