import SwiftletCore

/// How this rank's copy of a parameter relates to the full tensor of the checkpoint.
///
/// Column-parallel layers split their output features, row-parallel layers their input features:
/// in GPT-2's `[in, out]` weights that is `.columns` and `.rows`, in OPT's `[out, in]` weights
/// `.rows` and `.columns(blocks: 1)`.
public enum Sharding: Equatable, Sendable {
  /// Every tensor-parallel rank holds the whole tensor (LayerNorms, positions, row-parallel biases).
  case replicated
  /// Dimension 0 is split evenly.
  case rows
  /// The last dimension is `blocks` equal groups, each split evenly across ranks
  /// (GPT-2's QKV: 3 groups, so every rank gets its heads' Q, K and V; other layers: 1 group).
  case columns(blocks: Int)
  /// Token-embedding rows of the vocabulary padded to `paddedRows`; rows at or beyond the real
  /// vocabulary exist only in memory and are never stored.
  case vocabRows(paddedRows: Int)
}

/// One named parameter: its place in the arena, its local and full shapes.
public struct ParameterTensor: Sendable {
  /// What a parameter is for (decides its initialisation).
  public enum Role: Sendable {
    case embedding, weight, bias, normWeight, normBias
    /// A block's last dense layer before a residual addition (attention output, MLP down).
    case residualProjection
  }

  /// Hugging Face state-dict name (docs/checkpoint-format.md; `ModelTensorNames`).
  public let name: String
  public let role: Role
  public let fullShape: [Int]
  public let localShape: [Int]
  public let sharding: Sharding
  /// Offset in the rank's parameter (and gradient, and optimizer-state) arena.
  public let offset: Int
  /// AdamW weight decay applies to 2-D weights and embeddings only (docs/configuration.md).
  public let decays: Bool
  /// Tensor-parallel rank and size this shard was cut for.
  public let tpRank: Int
  public let tpSize: Int

  public var count: Int { localShape.reduce(1, *) }
  public var fullCount: Int { fullShape.reduce(1, *) }

  /// Contiguous runs of this shard within the full tensor, as flat element indices:
  /// `local ..< local + length` here is `global ..< global + length` there. Padding is skipped.
  public var runs: [(local: Int, global: Int, length: Int)] {
    switch sharding {
    case .replicated:
      return [(0, 0, count)]
    case .rows:
      let rowWidth = fullShape.dropFirst().reduce(1, *)
      return [(0, tpRank * localShape[0] * rowWidth, count)]
    case .columns(let blocks):
      let fullWidth = fullShape.last!
      let rowCount = fullCount / fullWidth
      let blockWidth = fullWidth / blocks
      let localBlockWidth = blockWidth / tpSize
      var result: [(Int, Int, Int)] = []
      result.reserveCapacity(rowCount * blocks)
      for row in 0..<rowCount {
        for block in 0..<blocks {
          result.append(
            (
              row * blocks * localBlockWidth + block * localBlockWidth,
              row * fullWidth + block * blockWidth + tpRank * localBlockWidth,
              localBlockWidth
            ))
        }
      }
      return result
    case .vocabRows:
      let width = localShape.count > 1 ? localShape[1] : 1
      let firstRow = tpRank * localShape[0]
      return validRows > 0 ? [(0, firstRow * width, validRows * width)] : []
    }
  }

  /// Local rows that exist in the full tensor: all of them, except in a padded vocabulary
  /// shard, whose rows at or beyond the real vocabulary are padding.
  public var validRows: Int {
    guard case .vocabRows = sharding else { return localShape.first ?? 1 }
    return max(0, min(localShape[0], fullShape[0] - tpRank * localShape[0]))
  }
}

extension ParameterTensor {
  /// The shard of this tensor's mean over its last dimension (shape `[R]` of an `[R, C]`
  /// matrix: Adafactor's row factor): split like the rows, whole where the columns are split.
  public var rowReductionShard: ParameterTensor {
    let sharding: Sharding
    switch self.sharding {
    case .rows, .vocabRows: sharding = self.sharding
    case .replicated, .columns: sharding = .replicated
    }
    return ParameterTensor(
      name: name, role: role, fullShape: Array(fullShape.dropLast()), localShape: Array(localShape.dropLast()),
      sharding: sharding, offset: 0, decays: false, tpRank: tpRank, tpSize: tpSize)
  }

  /// The shard of this tensor's mean over its second-to-last dimension (shape `[C]` of an
  /// `[R, C]` matrix: Adafactor's column factor): split like the columns, whole where the rows are.
  public var columnReductionShard: ParameterTensor {
    let sharding: Sharding
    switch self.sharding {
    case .columns: sharding = self.sharding
    case .replicated, .rows, .vocabRows: sharding = .replicated
    }
    return ParameterTensor(
      name: name, role: role, fullShape: fullShape.dropLast(2) + [fullShape.last!],
      localShape: localShape.dropLast(2) + [localShape.last!], sharding: sharding, offset: 0,
      decays: false, tpRank: tpRank, tpSize: tpSize)
  }
}

/// The parameters of one rank's model shard, in arena order.
///
/// Order: token and position embeddings (and OPT-350m's `project_in`), then each block's
/// tensors, then the head's (final LayerNorm, `project_out`). Each block is contiguous, so a
/// block's gradients form one allreduce bucket that can start as soon as its backward is done;
/// the embeddings come last in the backward pass (the tied head touches the token table first and
/// the embedding lookup last), so they form their own bucket, as the head tensors do.
///
/// OPT's `q_proj`, `k_proj`, `v_proj` weights (and biases) are packed without alignment gaps,
/// so together they are one `[3·Cl, C]` matrix producing the q|k|v rows attention expects.
public struct ParameterLayout: Sendable {
  public let config: GPTConfig
  public let tpRank: Int
  public let tpSize: Int
  public let tensors: [ParameterTensor]
  /// Floats in the arena (including alignment gaps).
  public let count: Int
  /// Vocabulary padded to a multiple of the tensor-parallel size.
  public let paddedVocab: Int
  /// The pipeline stage whose tensors this layout holds (the whole model by default).
  public let stage: PipelineStage

  /// The state-dict names of this model's family.
  public let names: ModelTensorNames

  private let index: [String: Int]

  public init(config: GPTConfig, tpRank: Int = 0, tpSize: Int = 1, stage: PipelineStage? = nil) throws {
    try config.validate()
    try ParameterLayout.validate(config: config, tpSize: tpSize)
    self.config = config
    self.tpRank = tpRank
    self.tpSize = tpSize
    let stage = stage ?? .whole(layers: config.nLayer)
    self.stage = stage
    let c = config.dModel
    let f = config.ffnDim
    paddedVocab = (config.vocabSize + tpSize - 1) / tpSize * tpSize

    var tensors: [ParameterTensor] = []
    var offset = 0
    /// `packed`: the next tensor follows without an alignment gap.
    func add(_ name: String, _ full: [Int], _ sharding: Sharding, _ role: ParameterTensor.Role, packed: Bool = false) {
      var local = full
      switch sharding {
      case .replicated: break
      case .rows: local[0] /= tpSize
      case .columns: local[local.count - 1] /= tpSize
      case .vocabRows(let padded): local[0] = padded / tpSize
      }
      let decays = full.count >= 2
      tensors.append(
        ParameterTensor(
          name: name, role: role, fullShape: full, localShape: local, sharding: sharding, offset: offset,
          decays: decays, tpRank: tpRank, tpSize: tpSize))
      // 16-float (64-byte) alignment keeps every tensor SIMD- and cache-line-aligned.
      let count = local.reduce(1, *)
      offset += packed ? count : (count + 15) / 16 * 16
    }
    func addNorm(_ module: String) {
      add(module + ".weight", [c], .replicated, .normWeight)
      add(module + ".bias", [c], .replicated, .normBias)
    }
    let names = ModelTensorNames(family: config.family)
    let architecture = config.architecture
    let e = config.embeddingDim
    // The last stage's copy of the tied token embedding also comes first, so that ZeRO-1 gives
    // it to the same data-parallel rank on both stages.
    if stage.isFirst || stage.isLast {
      add(names.tokenEmbedding + ".weight", [config.vocabSize, e], .vocabRows(paddedRows: paddedVocab), .embedding)
    }
    if stage.isFirst {
      add(names.positionEmbedding + ".weight", [config.positionRows, c], .replicated, .embedding)
      if config.projectsEmbeddings, let projectIn = names.projectIn {
        add(projectIn + ".weight", [c, e], .replicated, .weight)  // nn.Linear(E → C): [C, E]
      }
    }
    for i in stage.layers {
      let block = names.block(i)
      addNorm(block.attentionNorm)
      switch architecture.weightLayout {
      case .inputMajor:  // Conv1D [in, out]: one c_attn, output features are the last dimension
        add(block.qkv[0] + ".weight", [c, 3 * c], .columns(blocks: 3), .weight)
        add(block.qkv[0] + ".bias", [3 * c], .columns(blocks: 3), .bias)
        add(block.attentionOutput + ".weight", [c, c], .rows, .residualProjection)
        add(block.attentionOutput + ".bias", [c], .replicated, .bias)
        addNorm(block.mlpNorm)
        add(block.mlpUp + ".weight", [c, f], .columns(blocks: 1), .weight)
        add(block.mlpUp + ".bias", [f], .columns(blocks: 1), .bias)
        add(block.mlpDown + ".weight", [f, c], .rows, .residualProjection)
        add(block.mlpDown + ".bias", [c], .replicated, .bias)
      case .outputMajor:  // nn.Linear [out, in]: output features are dimension 0
        for (j, module) in block.qkv.enumerated() {
          add(module + ".weight", [c, c], .rows, .weight, packed: j < 2)
        }
        for (j, module) in block.qkv.enumerated() {
          add(module + ".bias", [c], .rows, .bias, packed: j < 2)
        }
        add(block.attentionOutput + ".weight", [c, c], .columns(blocks: 1), .residualProjection)
        add(block.attentionOutput + ".bias", [c], .replicated, .bias)
        addNorm(block.mlpNorm)
        add(block.mlpUp + ".weight", [f, c], .rows, .weight)
        add(block.mlpUp + ".bias", [f], .rows, .bias)
        add(block.mlpDown + ".weight", [c, f], .columns(blocks: 1), .residualProjection)
        add(block.mlpDown + ".bias", [c], .replicated, .bias)
      }
    }
    if architecture.hasFinalLayerNorm && stage.isLast {
      addNorm(names.finalNorm)
    }
    if config.projectsEmbeddings, stage.isLast, let projectOut = names.projectOut {
      add(projectOut + ".weight", [e, c], .replicated, .weight)  // nn.Linear(C → E): [E, C]
    }
    offset = (offset + 15) / 16 * 16
    self.tensors = tensors
    self.count = offset
    index = Dictionary(uniqueKeysWithValues: tensors.enumerated().map { ($1.name, $0) })
    self.names = names
  }

  /// Rejects tensor-parallel sizes the model's shape cannot be split by (docs/parallelism.md).
  public static func validate(config: GPTConfig, tpSize: Int) throws {
    if config.nHead % tpSize != 0 {
      throw SwiftletError("model.n_head (\(config.nHead)) is not divisible by tensor-parallel size \(tpSize)")
    }
    if config.ffnDim % tpSize != 0 {
      throw SwiftletError("4*d_model (\(config.ffnDim)) is not divisible by tensor-parallel size \(tpSize)")
    }
  }

  /// The tensor called `name`.
  public subscript(name: String) -> ParameterTensor {
    guard let i = index[name] else { preconditionFailure("no parameter named \(name)") }
    return tensors[i]
  }

  /// Whether a tensor with this name exists.
  public func contains(_ name: String) -> Bool { index[name] != nil }

  /// Arena range `[offset, offset+count)` covering the named tensors (for gradient buckets).
  public func span(of names: [String]) -> (offset: Int, count: Int) {
    let selected = names.map { self[$0] }
    let start = selected.map(\.offset).min()!
    let end = selected.map { $0.offset + $0.count }.max()!
    return (start, end - start)
  }
}
