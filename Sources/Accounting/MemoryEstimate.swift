import GPT

/// Bytes one rank needs to train with Swiftlet's layout, all float32 (no mixed precision, hence
/// no separate fp32 master copy: the parameters are the master weights).
///
/// - parameters, gradients: this rank's shard (`ParameterLayout`): matrices and the vocabulary
///   split over tp, LayerNorms, positions and row-parallel biases replicated.
/// - optimizer: AdamW keeps two fp32 moments per parameter; Adafactor (Shazeer & Stern 2018,
///   β₁ = 0) keeps a row and a column accumulator per matrix and a full one per vector. ZeRO-1
///   divides the optimizer state by the data-parallel size.
/// - activations: what the forward pass keeps for the backward (GPT's `Activations`), per
///   micro-batch of B sequences of T tokens: per layer and token `4·C + 4·C/tp + F/tp + H/tp + 4`
///   floats (block input, two LayerNorm outputs and their statistics, QKV, attention output, the
///   residual after attention, the MLP pre-activation, the attention log-sum-exp), roughly 12·C
///   at tp = 1; no `B·H·T·T` attention matrices. Once per model: the logits over this rank's
///   vocabulary shard `B·T·V/tp`, the final LayerNorm, loss statistics, and scratch for the
///   backward (`dResidual`, `dNorm`, the wide MLP gradient, two `T×T` attention tiles).
///   With activation recomputation (`train.recompute`) only the block input, `B·T·C`, stays per
///   layer; the rest of one layer's set exists once and is refilled by a second forward pass of
///   each block during the backward.
public struct MemoryEstimate: Equatable, Codable, Sendable {
  public enum Optimizer: String, Codable, Sendable, CaseIterable {
    case adamw, adafactor
  }

  public let parameters: Double
  public let gradients: Double
  public let optimizer: Double
  public let activations: Double
  /// Per-step scratch shared by all layers.
  public let workspace: Double
  /// The sum of the above, stored so that it is written beside them (`total_bytes`).
  public let total: Double

  enum CodingKeys: String, CodingKey {
    case parameters = "parameters_bytes"
    case gradients = "gradients_bytes"
    case optimizer = "optimizer_bytes"
    case activations = "activations_bytes"
    case workspace = "workspace_bytes"
    case total = "total_bytes"
  }

  private init(parameters: Double, gradients: Double, optimizer: Double, activations: Double, workspace: Double) {
    self.parameters = parameters
    self.gradients = gradients
    self.optimizer = optimizer
    self.activations = activations
    self.workspace = workspace
    total = parameters + gradients + optimizer + activations + workspace
  }

  /// The estimate for one rank of a dp × tp (× pp) layout with micro-batches of `microBatch`
  /// sequences. Throws when tp does not divide the model (docs/parallelism.md).
  ///
  /// With `pipeline` P > 1 it is the fullest stage's: ⌈L/P⌉ blocks plus the embeddings (the
  /// first stage holds the token and position tables, the last the tied token table again and the
  /// final LayerNorm: both are counted, an upper bound by the smaller of the two). Under 1F1B the
  /// first stage keeps min(P, M) micro-batches of activations alive, the last stage one micro-batch
  /// plus the logits; the larger of the two is the estimate.
  public init(
    config: GPTConfig, tensorParallel tp: Int = 1, dataParallel dp: Int = 1, microBatch: Int,
    seqLen: Int, optimizer: Optimizer = .adamw, zeroStage1: Bool = false, recompute: Bool = false,
    pipeline pp: Int = 1, microbatches: Int = 1, zeroStage2: Bool = false
  ) throws {
    let layout = try ParameterLayout(config: config, tpRank: 0, tpSize: tp)
    let float = 4.0
    let stageLayers = (config.nLayer + pp - 1) / max(1, pp)
    func count(_ layout: ParameterLayout) -> Double { Double(layout.tensors.reduce(0) { $0 + $1.count }) }
    var localCount = count(layout)
    var stageShare = 1.0  // fraction of the blocks' per-tensor state that lives on the stage
    if pp > 1, config.nLayer > 0 {
      var one = config
      one.nLayer = 1
      let withOneBlock = count(try ParameterLayout(config: one, tpRank: 0, tpSize: tp))
      let perBlock = (localCount - withOneBlock) / Double(max(1, config.nLayer - 1))
      let embeddingsAndHead = withOneBlock - perBlock
      localCount = Double(stageLayers) * perBlock + embeddingsAndHead
      stageShare = localCount / count(layout)
    }
    var state: Double
    switch optimizer {
    case .adamw:
      state = 2 * localCount
    case .adafactor:
      state =
        Double(
          layout.tensors.reduce(0) { sum, t in
            t.localShape.count >= 2
              ? sum + t.localShape[0] + t.localShape.dropFirst().reduce(1, *) : sum + t.count
          }) * stageShare
    }
    if zeroStage1 || zeroStage2 { state /= Double(max(1, dp)) }
    // ZeRO-2 keeps the summed gradients of the rank's own share only (the buckets in flight
    // during the backward come on top; docs/parallelism.md).
    let gradients = zeroStage2 ? localCount / Double(max(1, dp)) : localCount
    let b = Double(microBatch)
    let t = Double(seqLen)
    let n = b * t
    let c = Double(config.dModel)
    let cl = c / Double(tp)
    let fl = Double(config.ffnDim) / Double(tp)
    let hl = Double(config.nHead) / Double(tp)
    let vl = Double(layout.paddedVocab) / Double(tp)
    let blockInput = n * c
    let restOfLayer = n * (3 * c + 4 * cl + fl + 4) + b * hl * t
    let layers = Double(stageLayers)
    // Kept per micro-batch in flight; with recomputation one layer's full set exists once.
    let kept = recompute ? layers * blockInput : layers * (blockInput + restOfLayer)
    let once = recompute ? min(layers, 1) * restOfLayer : 0
    let inFlight = Double(pp > 1 ? min(pp, max(1, microbatches)) : 1)
    // opt-350m keeps the E-wide lookup, project_out output and their gradient as well.
    let projected = config.projectsEmbeddings ? 3 * n * Double(config.embeddingDim) : 0
    let head = n * (2 * c + 2 + vl + 1 + 3) + projected
    // pp = 1: one micro-batch and the head on the same rank (inFlight · kept ≤ kept + head).
    let firstStage = inFlight * kept + once
    let lastStage = kept + once + head
    let blocksAndHead = max(firstStage, lastStage)
    let scratch = n * (c + fl + c + c + max(3 * cl, fl) + cl) + 2 * t * t
    self.init(
      parameters: localCount * float, gradients: gradients * float, optimizer: state * float,
      activations: blocksAndHead * float, workspace: scratch * float)
  }

  /// Parameters, gradients and AdamW/Adafactor state for a bare parameter count (no shape known:
  /// no tensor parallelism, and Adafactor counted as AdamW's second moment only, an upper bound).
  public init(
    parameterCount: Double, dataParallel dp: Int = 1, optimizer: Optimizer = .adamw, zeroStage1: Bool = false
  ) {
    var state = optimizer == .adamw ? 2 * parameterCount : parameterCount
    if zeroStage1 { state /= Double(max(1, dp)) }
    self.init(
      parameters: parameterCount * 4, gradients: parameterCount * 4, optimizer: state * 4,
      activations: 0, workspace: 0)
  }
}
