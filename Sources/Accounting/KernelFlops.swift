import GPT

/// The matrix-multiply FLOPs Swiftlet's kernels actually execute in one training step: the
/// "hardware FLOPs" that the kernels' own `FlopCounter` also counts, for comparison with the
/// analytic model FLOPs of `ModelFlops`.
///
/// Every GEMM costs `2·M·N·K`. For B sequences of T tokens (n = B·T), width C, MLP width F,
/// H heads of `hd = C/H`, and the vocabulary padded to a multiple of the tensor-parallel size:
///
/// | matmul                    | forward            | backward                          |
/// |---------------------------|--------------------|-----------------------------------|
/// | QKV projection            | 2·n·C·3C           | 2× (∂input and ∂weight)           |
/// | attention scores `QKᵀ`    | 2·B·H·T·T·hd       | dQ, dK, plus the recomputed `QKᵀ`  |
/// | attention values `PV`     | 2·B·H·T·T·hd       | dV, dP                            |
/// | output projection         | 2·n·C·C            | 2×                                |
/// | MLP up and down           | 2·n·C·F each       | 2×                                |
/// | LM head (tied `wte`)      | 2·n·E·V_padded     | 2×                                |
/// | opt-350m projections      | 2·n·C·E each       | 2×                                |
///
/// E is the token-embedding width: C, except opt-350m's 512 with `project_in`/`project_out`.
///
/// The attention matrices are full `T×T` (the kernels compute every score and mask afterwards,
/// as PaLM's count assumes). Linear layers cost 3× their forward pass in total; attention costs
/// 3× too unless the backward recomputes the scores instead of storing them — Swiftlet's kernel
/// does (FlashAttention-style, no `B·H·T·T` activations), which adds one `QKᵀ` per head: 3.5×.
///
/// With activation recomputation (`train.recompute`) the backward runs the forward of every
/// block but the last once more (the last block's activations are still in place): those
/// blocks' matmuls cost 4× their forward pass (attention 4.5×); the LM head is not recomputed. Model FLOPs, and with them MFU, do not change: recomputation is executed work,
/// not useful work.
public struct KernelFlops: Equatable, Codable, Sendable {
  public var qkv: Double
  public var attentionScores: Double
  public var attentionValues: Double
  public var outputProjection: Double
  public var mlp: Double
  public var lmHead: Double
  /// opt-350m's `project_in` and `project_out` (0 for every other shape).
  public var embeddingProjections: Double

  /// All GEMM FLOPs of the step.
  public var total: Double {
    qkv + attentionScores + attentionValues + outputProjection + mlp + lmHead + embeddingProjections
  }

  /// GEMM FLOPs of one optimizer step over the whole job (all ranks together).
  ///
  /// - Parameters:
  ///   - sequences: global sequences in the step (`batch_size`; micro-steps add up to it).
  ///   - seqLen: T.
  ///   - tensorParallel: tp; only pads the vocabulary (each rank does 1/tp of every matmul).
  ///   - recomputesAttentionScores: the attention backward recomputes `QKᵀ` (true for
  ///     Swiftlet's `CausalAttention`); false gives the textbook 3× count.
  ///   - recomputesBlocks: the backward reruns the forward of each block but the last
  ///     (`train.recompute`).
  public init(
    config: GPTConfig, sequences: Int, seqLen: Int, tensorParallel: Int = 1,
    recomputesAttentionScores: Bool = true, recomputesBlocks: Bool = false
  ) {
    let n = Double(sequences) * Double(seqLen)
    let c = Double(config.dModel)
    let f = Double(config.ffnDim)
    let layers = Double(config.nLayer)
    let tp = max(1, tensorParallel)
    let paddedVocab = Double((config.vocabSize + tp - 1) / tp * tp)
    // One T×T matmul over all heads and sequences: B·H·(2·T·T·hd) = 2·B·T²·C.
    let attentionUnit = 2 * Double(sequences) * Double(seqLen) * Double(seqLen) * c
    // Block forward passes per step, summed over layers.
    let forwards = layers + (recomputesBlocks ? max(0, layers - 1) : 0)
    let linear = forwards + 2 * layers  // forward(s) + ∂input + ∂weight
    qkv = linear * 2 * n * c * 3 * c
    outputProjection = linear * 2 * n * c * c
    mlp = linear * 2 * (2 * n * c * f)
    let e = Double(config.embeddingDim)
    lmHead = 3 * 2 * n * e * paddedVocab
    embeddingProjections = config.projectsEmbeddings ? 3 * 2 * (2 * n * c * e) : 0
    // Scores: forward QKᵀ, backward dQ and dK (+ the recomputed QKᵀ).
    attentionScores = attentionUnit * (forwards + layers * (recomputesAttentionScores ? 3 : 2))
    // Values: forward PV, backward dV and dP.
    attentionValues = attentionUnit * (forwards + 2 * layers)
  }
}
