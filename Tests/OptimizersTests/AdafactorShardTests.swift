import Foundation
import Kernels
import Optimizers
import Testing

/// Adafactor on tensor-parallel shards equals Adafactor on the full tensors: two shard
/// optimizers, run on two threads that sum their partial values through `ShardSum`, reproduce
/// the full optimizer's parameters and factors (the optimizer's arithmetic; the MPI plumbing is
/// tested with real `mpirun` in CLITests/AdafactorTensorParallelTests).
@Suite struct AdafactorShardTests {
  /// A two-party in-memory sum: each side deposits its values and gets both sides' sum.
  final class PairSum: @unchecked Sendable {
    private let condition = NSCondition()
    private var deposits: [[Double]?] = [nil, nil]
    private var results: [[Double]?] = [nil, nil]

    func sum(side: Int, _ values: UnsafeMutablePointer<Double>, _ count: Int) {
      condition.lock()
      defer { condition.unlock() }
      deposits[side] = Array(UnsafeBufferPointer(start: values, count: count))
      if let other = deposits[1 - side] {
        let total = zip(deposits[side]!, other).map { $0 + $1 }
        results = [total, total]
        deposits = [nil, nil]
        condition.broadcast()
      }
      while results[side] == nil { condition.wait() }
      values.update(from: results[side]!, count: count)
      results[side] = nil
    }
  }

  /// One full tensor and how it is cut into two shards.
  struct Tensor {
    var name: String
    var shape: [Int]  // full
    var split: Cut
    enum Cut {
      case none
      case rows(padTo: Int)
      case columns
    }
  }

  static let tensors = [
    Tensor(name: "rows", shape: [6, 8], split: .rows(padTo: 6)),
    Tensor(name: "vocab", shape: [5, 8], split: .rows(padTo: 6)),  // 3 + 2 real rows, 1 padding row
    Tensor(name: "columns", shape: [4, 16], split: .columns),
    Tensor(name: "bias", shape: [16], split: .columns),
    Tensor(name: "whole", shape: [3, 8], split: .none),
    Tensor(name: "norm", shape: [8], split: .none),
  ]

  /// Local shape, segment split and, per local element, its full index (nil for padding).
  static func shard(_ t: Tensor, side: Int) -> (shape: [Int], split: SegmentSplit, index: [Int?]) {
    let columns = t.shape.last!
    let rows = t.shape.count == 2 ? t.shape[0] : 1
    switch t.split {
    case .none:
      return (t.shape, .whole, Array(0..<(rows * columns)))
    case .rows(let padded):
      let local = padded / 2
      let first = side * local
      let valid = max(0, min(local, rows - first))
      let index = (0..<(local * columns)).map { i in i / columns < valid ? first * columns + i : nil }
      return ([local, columns], .rows(validRows: valid, fullRows: rows), index)
    case .columns:
      let local = columns / 2
      let index = (0..<(rows * local)).map { i in (i / local) * columns + side * local + i % local }
      return (t.shape.count == 2 ? [rows, local] : [local], .columns(fullColumns: columns), index)
    }
  }

  static func segments(_ shapes: [[Int]], splits: [SegmentSplit]) -> ([ParameterSegment], Int) {
    var offset = 0
    var segments: [ParameterSegment] = []
    for (i, t) in tensors.enumerated() {
      let count = shapes[i].reduce(1, *)
      segments.append(
        ParameterSegment(
          name: t.name, offset: offset, count: count, shape: shapes[i], decays: shapes[i].count == 2,
          split: splits[i]))
      offset += (count + 15) / 16 * 16
    }
    return (segments, offset)
  }

  @Test func twoShardsTakeTheFullTensorsStep() throws {
    let (fullSegments, fullCount) = Self.segments(Self.tensors.map(\.shape), splits: Self.tensors.map { _ in .whole })
    let full = try Adafactor(segments: fullSegments, arenaCount: fullCount, beta1: 0.9, weightDecay: 0.1)
    let fullParameters = FloatArena(count: fullCount)
    fullParameters.base.update(from: AdafactorStateTests.seeded(fullCount, seed: 3), count: fullCount)
    let initial = Array(fullParameters.buffer)
    let gradients = (0..<3).map { AdafactorStateTests.seeded(fullCount, seed: 50 + UInt64($0)) }

    let pair = PairSum()
    var shards: [(optimizer: Adafactor, parameters: FloatArena, segments: [ParameterSegment], index: [[Int?]])] = []
    for side in 0..<2 {
      let cut = Self.tensors.map { Self.shard($0, side: side) }
      let (segments, count) = Self.segments(cut.map(\.shape), splits: cut.map(\.split))
      let optimizer = try Adafactor(
        segments: segments, arenaCount: count, beta1: 0.9, weightDecay: 0.1,
        shardSum: { pair.sum(side: side, $0, $1) })
      let parameters = FloatArena(count: count)
      for (k, segment) in segments.enumerated() {
        for (i, source) in cut[k].index.enumerated() {
          parameters.base[segment.offset + i] = source.map { initial[fullSegments[k].offset + $0] } ?? 0
        }
      }
      shards.append((optimizer, parameters, segments, cut.map(\.index)))
    }

    for step in 0..<3 {
      try gradients[step].withUnsafeBufferPointer {
        try full.update(parameters: fullParameters.base, gradients: $0.baseAddress!, learningRate: 1e-2)
      }
      // The shards' gradients are the same values, cut the same way (padding rows: 0).
      var local: [[Float]] = []
      for shard in shards {
        var values = [Float](repeating: 0, count: shard.parameters.count)
        for (k, segment) in shard.segments.enumerated() {
          for (i, source) in shard.index[k].enumerated() {
            if let source { values[segment.offset + i] = gradients[step][fullSegments[k].offset + source] }
          }
        }
        local.append(values)
      }
      // Two real threads (a dispatch pool may run both sides on one thread and deadlock).
      let done = DispatchGroup()
      for side in 0..<2 {
        done.enter()
        let thread = Thread { [local, shards] in
          local[side].withUnsafeBufferPointer {
            try! shards[side].optimizer.update(
              parameters: shards[side].parameters.base, gradients: $0.baseAddress!, learningRate: 1e-2)
          }
          done.leave()
        }
        thread.start()
      }
      done.wait()
    }

    var worst: Float = 0
    for shard in shards {
      for (k, segment) in shard.segments.enumerated() {
        for (i, source) in shard.index[k].enumerated() {
          let value = shard.parameters.base[segment.offset + i]
          guard let source else {
            #expect(value == 0, "padding rows are left alone")
            continue
          }
          worst = max(worst, abs(value - fullParameters.base[fullSegments[k].offset + source]))
        }
      }
    }
    print("adafactor two shards vs full tensors, 3 steps: worst |parameter difference| \(worst)")
    #expect(worst <= 1e-6)
    #expect(Array(fullParameters.buffer) != initial)

    // The factors: a row split keeps its rows' row factors and the full column factors.
    let fullState = Dictionary(uniqueKeysWithValues: full.stateTensors.map { ("\($0.kind)/\($0.segmentName)", $0) })
    let rowsShard = shards[1].optimizer.stateTensors
    let rowFactor = try #require(rowsShard.first { $0.kind == "exp_avg_sq_row" && $0.segmentName == "rows" })
    let columnFactor = try #require(rowsShard.first { $0.kind == "exp_avg_sq_col" && $0.segmentName == "rows" })
    let fullRow = try #require(fullState["exp_avg_sq_row/rows"])
    let fullColumn = try #require(fullState["exp_avg_sq_col/rows"])
    for i in 0..<3 {
      #expect(abs(rowFactor.pointer[i] - fullRow.pointer[3 + i]) <= 1e-6 * fullRow.pointer[3 + i])
    }
    for j in 0..<8 {
      #expect(abs(columnFactor.pointer[j] - fullColumn.pointer[j]) <= 1e-6 * fullColumn.pointer[j])
    }
  }

  /// What the old per-shard factoring got wrong: factoring a shard on its own gives other
  /// updates, so this test can fail.
  @Test func shardsFactoredOnTheirOwnDiffer() throws {
    let shape = [6, 8]
    let values = AdafactorStateTests.seeded(48, seed: 11)
    let grads = AdafactorStateTests.seeded(48, seed: 12)
    let full = try Adafactor(
      segments: [ParameterSegment(name: "w", offset: 0, count: 48, shape: shape, decays: false)], arenaCount: 48)
    let alone = try Adafactor(
      segments: [ParameterSegment(name: "w", offset: 0, count: 24, shape: [3, 8], decays: false)], arenaCount: 24)
    var a = values
    var b = Array(values[0..<24])
    try full.update(parameters: &a, gradients: grads, learningRate: 0.1)
    try alone.update(parameters: &b, gradients: Array(grads[0..<24]), learningRate: 0.1)
    #expect(Array(a[0..<24]) != b)
  }
}
