import SwiftletCore

/// How this rank's copy of a parameter relates to the full tensor of the checkpoint.
public enum Sharding: Equatable, Sendable {
  /// Every tensor-parallel rank holds the whole tensor (LayerNorms, positions, row-parallel biases).
  case replicated
  /// Dimension 0 is split evenly (row-parallel weights `[in, out]`: this rank's input features).
  case rows
  /// The last dimension is `blocks` equal groups, each split evenly across ranks
  /// (QKV: 3 groups, so every rank gets its heads' Q, K and V; MLP up-projection: 1 group).
  case columns(blocks: Int)
  /// Token-embedding rows of the vocabulary padded to `paddedRows`; rows at or beyond the real
  /// vocabulary exist only in memory and are never stored.
  case vocabRows(paddedRows: Int)
}

/// One named parameter: its place in the arena, its local and full shapes.
public struct ParameterTensor: Sendable {
  /// Hugging Face `GPT2LMHeadModel` state-dict name (contract section 6).
  public let name: String
  public let fullShape: [Int]
  public let localShape: [Int]
  public let sharding: Sharding
  /// Offset in the rank's parameter (and gradient, and optimizer-state) arena.
  public let offset: Int
  /// AdamW weight decay applies to 2-D weights and embeddings only (contract section 3).
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
          result.append((
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
      let validRows = max(0, min(localShape[0], fullShape[0] - firstRow))
      return validRows > 0 ? [(0, firstRow * width, validRows * width)] : []
    }
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
      name: name, fullShape: Array(fullShape.dropLast()), localShape: Array(localShape.dropLast()),
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
      name: name, fullShape: fullShape.dropLast(2) + [fullShape.last!],
      localShape: localShape.dropLast(2) + [localShape.last!], sharding: sharding, offset: 0,
      decays: false, tpRank: tpRank, tpSize: tpSize)
  }
}

/// The parameters of one rank's model shard, in arena order.
///
/// Order: `wte`, `wpe`, then each block's tensors, then `ln_f`. Each block is contiguous, so a
/// block's gradients form one allreduce bucket that can start as soon as its backward is done;
/// the embeddings come last in the backward pass (the tied head touches `wte` first and the
/// embedding lookup last), so they form their own bucket.
public struct ParameterLayout: Sendable {
  public let config: GPTConfig
  public let tpRank: Int
  public let tpSize: Int
  public let tensors: [ParameterTensor]
  /// Floats in the arena (including alignment gaps).
  public let count: Int
  /// Vocabulary padded to a multiple of the tensor-parallel size.
  public let paddedVocab: Int

  private let index: [String: Int]

  public init(config: GPTConfig, tpRank: Int = 0, tpSize: Int = 1) throws {
    try config.validate()
    try ParameterLayout.validate(config: config, tpSize: tpSize)
    self.config = config
    self.tpRank = tpRank
    self.tpSize = tpSize
    let c = config.dModel
    let f = config.ffnDim
    paddedVocab = (config.vocabSize + tpSize - 1) / tpSize * tpSize

    var tensors: [ParameterTensor] = []
    var offset = 0
    func add(_ name: String, _ full: [Int], _ sharding: Sharding) {
      var local = full
      switch sharding {
      case .replicated: break
      case .rows: local[0] /= tpSize
      case .columns: local[local.count - 1] /= tpSize
      case .vocabRows(let padded): local[0] = padded / tpSize
      }
      let decays = full.count >= 2
      tensors.append(ParameterTensor(
        name: name, fullShape: full, localShape: local, sharding: sharding, offset: offset,
        decays: decays, tpRank: tpRank, tpSize: tpSize))
      // 16-float (64-byte) alignment keeps every tensor SIMD- and cache-line-aligned.
      offset += (local.reduce(1, *) + 15) / 16 * 16
    }
    add("transformer.wte.weight", [config.vocabSize, c], .vocabRows(paddedRows: paddedVocab))
    add("transformer.wpe.weight", [config.nCtx, c], .replicated)
    for i in 0..<config.nLayer {
      let p = "transformer.h.\(i)."
      add(p + "ln_1.weight", [c], .replicated)
      add(p + "ln_1.bias", [c], .replicated)
      add(p + "attn.c_attn.weight", [c, 3 * c], .columns(blocks: 3))
      add(p + "attn.c_attn.bias", [3 * c], .columns(blocks: 3))
      add(p + "attn.c_proj.weight", [c, c], .rows)
      add(p + "attn.c_proj.bias", [c], .replicated)
      add(p + "ln_2.weight", [c], .replicated)
      add(p + "ln_2.bias", [c], .replicated)
      add(p + "mlp.c_fc.weight", [c, f], .columns(blocks: 1))
      add(p + "mlp.c_fc.bias", [f], .columns(blocks: 1))
      add(p + "mlp.c_proj.weight", [f, c], .rows)
      add(p + "mlp.c_proj.bias", [c], .replicated)
    }
    add("transformer.ln_f.weight", [c], .replicated)
    add("transformer.ln_f.bias", [c], .replicated)
    self.tensors = tensors
    self.count = offset
    var index: [String: Int] = [:]
    for (i, tensor) in tensors.enumerated() { index[tensor.name] = i }
    self.index = index
  }

  /// Rejects tensor-parallel sizes the model's shape cannot be split by (contract section 2).
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
