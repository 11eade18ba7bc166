import Accounting
import GPT
import Kernels
import MPIBindings
import Parallel
import Testing

/// The analytic count of executed GEMM FLOPs against the kernels' own `FlopCounter`, and the
/// memory estimate against the model's real allocations. Serialized: `FlopCounter` is global.
@Suite(.serialized)
struct KernelFlopsTests {
  static let tiny = GPTConfig(nLayer: 2, nHead: 4, dModel: 32, nCtx: 16, vocabSize: 101)
  /// opt-350m's shape in small: post-LayerNorm, a 16-wide token table projected to 32.
  static let tinyOPT350m = GPTConfig(
    family: .opt, nLayer: 2, nHead: 4, dModel: 32, nCtx: 16, vocabSize: 101, layerNorm: .post, wordEmbedProjDim: 16)

  /// Without recomputation every matmul costs 3× its forward pass, which is PaLM's count with N
  /// replaced by the matmul parameters (the tied head over the padded vocabulary, no biases,
  /// LayerNorms or positions) and the 12·L·C·T attention term.
  @Test func textbookCountIsPalmFormulaOverMatmulParameters() throws {
    let config = try GPTConfig.preset(named: "gpt2-124M")
    let (b, t, tp) = (4, 1024, 2)
    let flops = KernelFlops(
      config: config, sequences: b, seqLen: t, tensorParallel: tp, recomputesAttentionScores: false)
    let c = Double(config.dModel)
    let f = Double(config.ffnDim)
    let paddedVocab = 50258.0  // 50257 rounded up to a multiple of tp = 2
    let matmulParameters = Double(config.nLayer) * (4 * c * c + 2 * c * f) + c * paddedVocab
    let expected = (6 * matmulParameters + 12 * Double(config.nLayer) * c * Double(t)) * Double(b * t)
    #expect(abs(flops.total - expected) / expected < 1e-12)
  }

  @Test func recomputingScoresAddsOneQKTransposePerLayer() throws {
    let config = try GPTConfig.preset(named: "gpt2-124M")
    let with = KernelFlops(config: config, sequences: 2, seqLen: 256)
    let without = KernelFlops(config: config, sequences: 2, seqLen: 256, recomputesAttentionScores: false)
    #expect(with.total - without.total == 12 * 2 * 2 * 256 * 256 * 768)
  }

  /// Recomputation adds one forward pass of the matmuls of every block but the last (whose
  /// activations are still in place), not of the LM head.
  @Test func recomputingBlocksAddsOneForwardOfTheBlocks() throws {
    let config = try GPTConfig.preset(named: "gpt2-124M")
    let (b, t) = (4, 1024)
    let stored = KernelFlops(config: config, sequences: b, seqLen: t)
    let recomputed = KernelFlops(config: config, sequences: b, seqLen: t, recomputesBlocks: true)
    let (n, c, f) = (Double(b * t), Double(config.dModel), Double(config.ffnDim))
    let blockForward =
      Double(config.nLayer - 1) * (2 * n * (4 * c * c + 2 * c * f) + 2 * 2 * Double(b) * Double(t * t) * c)
    #expect(abs(recomputed.total - stored.total - blockForward) / blockForward < 1e-12)
    #expect(recomputed.lmHead == stored.lmHead)
    print("executed FLOPs with recomputation: \(recomputed.total / stored.total)× without")
  }

  /// The count Swiftlet's kernels make while running a real forward and backward pass.
  @Test(arguments: [tiny, tinyOPT350m])
  func matchesTheKernelsFlopCounterOnARealStep(_ config: GPTConfig) throws {
    let world = try MPIRuntime.initialise()
    let model = try GPTModel(config: config, region: TensorParallelRegion(group: world))
    ModelInitializer.initialize(model.parameters, layout: model.layout, seed: 1)
    let (b, t) = (3, 16)
    let inputs = (0..<(b * t)).map { Int32($0 * 7 % 101) }
    let targets = (0..<(b * t)).map { Int32($0 * 5 % 101) }
    FlopCounter.reset()
    _ = try model.forward(inputs: inputs, targets: targets, batch: b, seqLen: t)
    try model.backward(lossScale: 1 / Float(b * t))
    let counted = FlopCounter.matmul
    let analytic = KernelFlops(config: config, sequences: b, seqLen: t).total
    print("kernel FlopCounter: \(counted) matmul FLOPs; analytic: \(analytic)")
    #expect(counted == analytic)
    // Model FLOPs (PaLM) differ from executed ones only by the non-matmul parameters and the
    // recomputed attention scores: they must be close for a real shape, not for this toy.
    let gpt2 = try GPTConfig.preset(named: "gpt2-124M")
    let ratio =
      KernelFlops(config: gpt2, sequences: 4, seqLen: 1024).total
      / ModelFlops.perStep(gpt2, tokensPerStep: 4096, seqLen: 1024)
    #expect(ratio > 1 && ratio < 1.1, "executed / model FLOPs = \(ratio)")
  }

  /// The same with activation recomputation on.
  @Test func recomputationCountMatchesTheKernelsFlopCounter() throws {
    let world = try MPIRuntime.initialise()
    let model = try GPTModel(config: Self.tiny, region: TensorParallelRegion(group: world))
    ModelInitializer.initialize(model.parameters, layout: model.layout, seed: 1)
    model.recomputesBlocks = true
    let (b, t) = (3, 16)
    let inputs = (0..<(b * t)).map { Int32($0 * 7 % 101) }
    FlopCounter.reset()
    _ = try model.forward(inputs: inputs, targets: inputs, batch: b, seqLen: t)
    try model.backward(lossScale: 1 / Float(b * t))
    #expect(FlopCounter.matmul == KernelFlops(config: Self.tiny, sequences: b, seqLen: t, recomputesBlocks: true).total)
  }

  /// Parameters and activations of the estimate against what `GPTModel` allocates (which pads
  /// every tensor to 16 floats, hence the tolerance).
  @Test(arguments: [tiny, tinyOPT350m])
  func memoryEstimateMatchesTheModelsAllocations(_ config: GPTConfig) throws {
    let world = try MPIRuntime.initialise()
    let model = try GPTModel(config: config, region: TensorParallelRegion(group: world))
    let (b, t) = (2, 16)
    _ = try model.forward(
      inputs: [Int32](repeating: 1, count: b * t), targets: [Int32](repeating: 2, count: b * t), batch: b,
      seqLen: t)
    let estimate = try MemoryEstimate(config: config, microBatch: b, seqLen: t)
    let allocatedParameters = Double(model.layout.count * 4)
    #expect(abs(estimate.parameters - allocatedParameters) / allocatedParameters < 0.05)
    let allocatedActivations = Double(model.activationBytes)
    let estimated = estimate.activations + estimate.workspace
    print("activations: estimated \(estimated) B, allocated \(allocatedActivations) B")
    #expect(abs(estimated - allocatedActivations) / allocatedActivations < 0.1)
    #expect(estimate.optimizer == 2 * estimate.parameters)

    model.recomputesBlocks = true
    _ = try model.forward(
      inputs: [Int32](repeating: 1, count: b * t), targets: [Int32](repeating: 2, count: b * t), batch: b,
      seqLen: t)
    let recomputing = try MemoryEstimate(config: config, microBatch: b, seqLen: t, recompute: true)
    let allocatedRecomputing = Double(model.activationBytes)
    let estimatedRecomputing = recomputing.activations + recomputing.workspace
    print("activations with recomputation: estimated \(estimatedRecomputing) B, allocated \(allocatedRecomputing) B")
    #expect(abs(estimatedRecomputing - allocatedRecomputing) / allocatedRecomputing < 0.1)
    #expect(allocatedRecomputing < allocatedActivations)
  }
}
