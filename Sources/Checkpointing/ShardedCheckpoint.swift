import GPT
import Kernels
import Optimizers
import Parallel
import SwiftletCore

/// Saves and loads a rank-sharded model and optimizer to and from the layout-independent
/// checkpoint file (docs/checkpoint-format.md): full tensors under Hugging Face names, whatever the
/// (dp, tp) layout that wrote or reads them.
///
/// Saving gathers one tensor at a time from the tensor-parallel ranks of data-parallel replica 0
/// to world rank 0, which writes it (peak extra memory: about two copies of the largest tensor).
/// Every collective is entered by every rank that owns a piece (transformers PR #48569
/// deadlocked when only rank 0 entered a gather), and a write failure on rank 0 does not leave
/// the other ranks waiting: rank 0 keeps gathering, then broadcasts the outcome to all.
///
/// Loading lets every rank read its own slices (hyperslabs) of each full tensor, so resuming on
/// another layout needs no conversion step.
///
/// Under pipeline parallelism each stage's tensors are assembled on that stage's first rank
/// (data-parallel and tensor-parallel rank 0), which sends each full tensor to world rank 0. The
/// last stage's copy of the tied token embedding is not written: it equals the first stage's.
///
/// Under ZeRO-1 (`statePartition`) each optimizer state tensor lives on the data-parallel rank
/// owning its parameter: that rank sends it to data-parallel rank 0 of its tensor-parallel
/// position (point to point), which then gathers and writes it as above. Loading needs no
/// change: a rank's optimizer lists only the state it owns, and reads just that.
public enum ShardedCheckpoint {
  /// What goes into a checkpoint besides the tensors.
  public struct Metadata {
    public var step: Int
    public var tokensSeen: Int
    public var configJSON: String
    public var ledger: [String: Double]
    public var state: CheckpointState

    public init(step: Int, tokensSeen: Int, configJSON: String, ledger: [String: Double], state: CheckpointState) {
      self.step = step
      self.tokensSeen = tokensSeen
      self.configJSON = configJSON
      self.ledger = ledger
      self.state = state
    }
  }

  /// Collective over the world. Returns the checkpoint's path on every rank, or throws the same
  /// error on every rank if rank 0 could not write it (earlier checkpoints stay intact).
  public static func save(
    model: GPTModel, optimizer: Optimizer, statePartition: ArenaPartition? = nil, grid: ProcessGrid,
    directory: String, metadata: Metadata
  ) throws -> String {
    var writer: CheckpointWriter?
    var failure: String?
    func attempt(_ body: () throws -> Void) {
      guard failure == nil else { return }
      do { try body() } catch {
        failure = (error as? SwiftletError)?.message ?? "\(error)"
        writer?.abandon()
      }
    }
    if grid.isCoordinator {
      attempt {
        writer = try CheckpointWriter(
          directory: directory, step: metadata.step, tokensSeen: Int64(metadata.tokensSeen), config: metadata.configJSON
        )
      }
    }
    // Every stage's layouts, per tensor-parallel rank: what each rank holds.
    let stageLayouts = try (0..<grid.ppSize).map { index in
      let stage = try PipelineStage(index: index, of: grid.ppSize, layers: model.config.nLayer)
      return try (0..<grid.tpSize).map {
        try ParameterLayout(config: model.config, tpRank: $0, tpSize: grid.tpSize, stage: stage)
      }
    }
    // Parameters first, then each optimizer state tensor, segment by segment, stage by stage;
    // the same order on every rank. `shards` says how each tp rank's piece sits in the full
    // tensor; a state tensor's owner is data-parallel rank 0 unless ZeRO-1 shards the state.
    // `pointer` is this rank's piece, for items of its own stage only.
    typealias Item = (path: String, stage: Int, pointer: FloatPointer?, shards: [ParameterTensor], owner: Int)
    var items: [Item] = []
    func written(_ layouts: [ParameterLayout]) -> [(index: Int, tensor: ParameterTensor)] {
      let tiedCopy = layouts[0].stage.holdsTiedCopy ? layouts[0].names.tokenEmbedding + ".weight" : nil
      return layouts[0].tensors.enumerated().filter { $0.element.name != tiedCopy }.map { ($0.offset, $0.element) }
    }
    for (stage, layouts) in stageLayouts.enumerated() {
      let mine = stage == grid.ppRank
      for (index, tensor) in written(layouts) {
        items.append(
          (
            CheckpointLayout.modelTensor(tensor.name), stage, mine ? model.parameters.base + tensor.offset : nil,
            layouts.map { $0.tensors[index] }, 0
          ))
      }
    }
    var ownedStates: [String: FloatPointer] = [:]
    for state in optimizer.stateTensors {
      ownedStates[CheckpointLayout.optimizerTensor(kind: state.kind, name: state.segmentName)] = state.pointer
    }
    for (stage, layouts) in stageLayouts.enumerated() {
      let mine = stage == grid.ppRank
      for (index, tensor) in written(layouts) {
        let owner = statePartition?.owner(of: tensor.offset) ?? 0
        for state in optimizer.stateShapes(ofParameterShape: tensor.localShape) {
          let path = CheckpointLayout.optimizerTensor(kind: state.kind, name: tensor.name)
          let pointer = mine ? ownedStates[path] : nil
          precondition(
            !mine || (pointer != nil) == (owner == grid.dpRank || statePartition == nil), "\(path): owner mismatch")
          items.append((path, stage, pointer, layouts.map { stateShard(state.extent, of: $0.tensors[index]) }, owner))
        }
      }
    }
    var received: [Float] = []
    let stageLeader = grid.dpRank == 0 && grid.tpRank == 0
    for item in items {
      let fullShape = item.shards[0].fullShape
      guard item.stage == grid.ppRank else {
        // Another stage's tensor: world rank 0 receives it whole from that stage's first rank.
        if grid.isCoordinator {
          var full = [Float](repeating: 0, count: item.shards[0].fullCount)
          try full.withUnsafeMutableBufferPointer {
            try grid.receiveFullTensor(fromStage: item.stage, into: $0.baseAddress!, count: $0.count)
          }
          attempt {
            try full.withUnsafeBufferPointer { try writer!.writeTensor(item.path, shape: fullShape, values: $0) }
          }
        }
        continue
      }
      let count = item.shards[grid.tpRank].count
      if item.owner != 0 {
        // ZeRO-1: the owner hands its piece to data-parallel rank 0 of the same tp position.
        if grid.dpRank == item.owner {
          try grid.sendToDataParallelRoot(UnsafePointer(item.pointer!), count: count)
        } else if grid.dpRank == 0 {
          received = [Float](repeating: 0, count: count)
          try received.withUnsafeMutableBufferPointer {
            try grid.receive(fromDataParallelRank: item.owner, into: $0.baseAddress!, count: count)
          }
        }
      }
      guard grid.dpRank == 0 else { continue }
      try received.withUnsafeMutableBufferPointer { scratch in
        let local = item.owner == 0 ? item.pointer! : scratch.baseAddress!
        // The stage's first rank holds the full tensor: rank 0 writes it, another stage's
        // first rank sends it there.
        func deliver(_ full: UnsafeBufferPointer<Float>) throws {
          if grid.isCoordinator {
            attempt { try writer!.writeTensor(item.path, shape: fullShape, values: full) }
          } else if stageLeader {
            try grid.sendToCoordinator(full.baseAddress!, count: full.count)
          }
        }
        if grid.tpSize == 1 {
          // No tensor parallelism: the local tensor is the full tensor; use it in place.
          try deliver(UnsafeBufferPointer(start: local, count: fullShape.reduce(1, *)))
          return
        }
        let full = try gatherFullTensor(
          local: local, shards: item.shards, grid: grid)
        if let full, stageLeader {
          try full.withUnsafeBufferPointer { try deliver($0) }
        }
      }
      if item.owner != 0 { received = [] }
    }
    var path = ""
    if grid.isCoordinator {
      attempt {
        var state = metadata.state
        state.integers["optimizer_step"] = Int64(optimizer.step)
        state.strings["written_by_layout"] =
          "dp=\(grid.dpSize),tp=\(grid.tpSize)" + (grid.ppSize > 1 ? ",pp=\(grid.ppSize)" : "")
          + (statePartition == nil ? "" : ",zero=1")  // the file is the same under ZeRO-2
        try writer!.writeAccounting(metadata.ledger)
        try writer!.writeState(state)
        path = try writer!.commit()
      }
    }
    let outcome = try grid.coordinatorText(failure.map { "error\n" + $0 } ?? "ok\n" + path)
    let parts = outcome.split(separator: "\n", maxSplits: 1).map(String.init)
    if parts.first == "error" {
      throw SwiftletError(parts.count > 1 ? parts[1] : "checkpoint save failed", raisedByAllRanks: true)
    }
    return parts.count > 1 ? parts[1] : ""
  }

  /// Where an optimizer state tensor of `parameter` sits in the full state tensor.
  static func stateShard(_ extent: OptimizerStateTensor.Extent, of parameter: ParameterTensor) -> ParameterTensor {
    switch extent {
    case .parameter: return parameter
    case .rowReduction: return parameter.rowReductionShard
    case .columnReduction: return parameter.columnReductionShard
    }
  }

  /// Gathers a tensor whose pieces `shards` (one per tensor-parallel rank) describe from the
  /// tensor-parallel group to its rank 0 and returns the full tensor there (nil elsewhere).
  /// Local shard sizes are equal on all tp ranks.
  static func gatherFullTensor(local: FloatPointer, shards: [ParameterTensor], grid: ProcessGrid) throws -> [Float]? {
    let mine = shards[grid.tpRank]
    let local = UnsafePointer(local)
    let isRoot = grid.tpRank == 0
    var received = [Float](repeating: 0, count: isRoot ? mine.count * grid.tpSize : 0)
    try received.withUnsafeMutableBufferPointer {
      try grid.gatherOverTensorParallel(local, count: mine.count, into: isRoot ? $0.baseAddress : nil)
    }
    guard isRoot else { return nil }
    var full = [Float](repeating: 0, count: mine.fullCount)
    full.withUnsafeMutableBufferPointer { out in
      received.withUnsafeBufferPointer { pieces in
        for rank in 0..<grid.tpSize {
          let shard = shards[rank]
          let source = pieces.baseAddress! + rank * shard.count
          for run in shard.runs {
            (out.baseAddress! + run.global).update(from: source + run.local, count: run.length)
          }
        }
      }
    }
    return full
  }

  /// Reads this rank's slices of every model tensor and optimizer state from `reader`.
  /// Checks first that the file holds a model of the same shape.
  public static func load(reader: CheckpointReader, model: GPTModel, optimizer: Optimizer) throws {
    try loadParameters(reader: reader, model: model)
    for state in optimizer.stateTensors {
      let path = CheckpointLayout.optimizerTensor(kind: state.kind, name: state.segmentName)
      guard try reader.contains(path) else {
        throw SwiftletError(
          reader.importedFrom != nil
            ? "\(reader.path) is an imported model without optimizer state: start from it with model.init_from, not checkpoint.resume"
            : "\(reader.path) has no optimizer state \(path) (checkpoint of another optimizer?)")
      }
      let shard = stateShard(state.extent, of: try parameter(named: state.segmentName, in: model.layout))
      let stored = try reader.shape(of: path)
      guard stored == shard.fullShape else {
        throw SwiftletError("\(reader.path): optimizer state \(path) is \(stored), this run needs \(shard.fullShape)")
      }
      try readShard(reader, path, shard, into: state.pointer)
    }
    let state = try reader.state()
    optimizer.step = Int(state.integers["optimizer_step"] ?? Int64(reader.step))
  }

  static func parameter(named name: String, in layout: ParameterLayout) throws -> ParameterTensor {
    guard let tensor = layout.tensors.first(where: { $0.name == name }) else {
      throw SwiftletError("optimizer state names unknown parameter \(name)")
    }
    return tensor
  }

  /// Reads this rank's slices of the model tensors only (evaluation, sampling).
  public static func loadParameters(reader: CheckpointReader, model: GPTModel) throws {
    for tensor in model.layout.tensors {
      let path = CheckpointLayout.modelTensor(tensor.name)
      guard try reader.contains(path) else {
        throw SwiftletError("\(reader.path) has no tensor \(tensor.name): not a checkpoint of this model")
      }
      let shape = try reader.shape(of: path)
      guard shape == tensor.fullShape else {
        throw SwiftletError(
          "\(reader.path) holds a model of another shape: \(tensor.name) is \(shape), this run needs \(tensor.fullShape)"
        )
      }
    }
    for tensor in model.layout.tensors {
      try readShard(
        reader, CheckpointLayout.modelTensor(tensor.name), tensor, into: model.parameters.base + tensor.offset)
    }
  }

  /// Reads the part of full tensor `path` that `tensor` (a shard) holds into `destination`.
  static func readShard(
    _ reader: CheckpointReader, _ path: String, _ tensor: ParameterTensor, into destination: FloatPointer
  ) throws {
    let out = UnsafeMutableBufferPointer(start: destination, count: tensor.count)
    switch tensor.sharding {
    case .replicated:
      try reader.read(path, into: out)
    case .rows:
      let rows = tensor.localShape[0]
      try reader.read(path, rows: (tensor.tpRank * rows)..<((tensor.tpRank + 1) * rows), into: out)
    case .vocabRows:
      out.update(repeating: 0)
      guard let run = tensor.runs.first else { return }
      let width = tensor.localShape.count > 1 ? tensor.localShape[1] : 1
      let first = run.global / width
      try reader.read(
        path, rows: first..<(first + run.length / width),
        into: UnsafeMutableBufferPointer(start: destination, count: run.length))
    case .columns(let blocks):
      let fullWidth = tensor.fullShape.last!
      let rows = tensor.fullCount / fullWidth
      let width = fullWidth / blocks / tensor.tpSize
      var piece = [Float](repeating: 0, count: rows * width)
      for block in 0..<blocks {
        let column = block * (fullWidth / blocks) + tensor.tpRank * width
        try piece.withUnsafeMutableBufferPointer { buffer in
          if tensor.fullShape.count == 1 {
            try reader.read(path, offset: [column], count: [width], into: buffer)
          } else {
            try reader.read(path, offset: [0, column], count: [rows, width], into: buffer)
          }
        }
        for row in 0..<rows {
          for j in 0..<width {
            destination[row * blocks * width + block * width + j] = piece[row * width + j]
          }
        }
      }
    }
  }
}
