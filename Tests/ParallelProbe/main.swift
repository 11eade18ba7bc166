import Foundation
import Kernels
import MPIBindings
import Parallel

/// Per-operation checks of the Parallel module under a real `mpirun` (Tests/CLITests/
/// ParallelOperationsTests.swift launches it with 2 and 4 ranks): every rank feeds known values
/// through Megatron's f/g, the vocabulary-parallel cross-entropy and the gradient buckets (with
/// and without ZeRO-1 owners) and checks what comes out. Prints `PASS name` or `FAIL name: why`
/// per check and rank; exits 1 if any check failed.

let world = try MPIRuntime.initialise()
let ranks = world.size
var failures = 0

func check(_ name: String, _ condition: Bool, _ detail: @autoclosure () -> String = "") {
  print(condition ? "PASS \(name) rank \(world.rank)" : "FAIL \(name) rank \(world.rank): \(detail())")
  if !condition { failures += 1 }
}

/// Small integers: their sums are exact in float32, so the checks compare with ==.
func known(_ rank: Int, _ count: Int) -> [Float] { (0..<count).map { Float((rank + 1) * ($0 % 7 + 1)) } }

// f and g over the tensor-parallel groups of a (dp, tp = 2) grid, or of the whole world.
for tp in Set([ranks, ranks % 2 == 0 ? 2 : ranks]).sorted() {
  let grid = try ProcessGrid(world: world, tensorParallelSize: tp)
  let region = TensorParallelRegion(group: grid.tensorParallel)
  let count = 37
  // The group's ranks are world ranks dp·tp … dp·tp + tp − 1: the expected sum of (r + 1).
  let first = grid.dpRank * tp
  let groupSum = Float((first + 1 + first + tp) * tp / 2)
  var x = known(world.rank, count)
  let original = x
  region.copyToRegionForward(&x, count: count)
  check("f forward is the identity (tp \(tp))", x == original)
  try region.reduceFromRegionForward(&x, count: count)
  check("g forward sums the group (tp \(tp))", x == (0..<count).map { groupSum * Float($0 % 7 + 1) }, "\(x.prefix(3))")
  var grad = known(world.rank, count)
  region.reduceFromRegionBackward(&grad, count: count)
  check("g backward is the identity (tp \(tp))", grad == original)
  try region.copyToRegionBackward(&grad, count: count)
  check("f backward sums the group (tp \(tp))", grad == x)
}

// Vocabulary-parallel cross-entropy against the same operation on one rank with the whole
// vocabulary. V = 13 does not divide by 2 or 4: the last shard carries padding columns.
do {
  let vocab = 13
  let rows = 5
  let grid = try ProcessGrid(world: world, tensorParallelSize: ranks)
  let single = try ProcessGrid(world: world, tensorParallelSize: 1)
  let width = (vocab + ranks - 1) / ranks
  let firstColumn = grid.tpRank * width
  let valid = max(0, min(width, vocab - firstColumn))
  let full = (0..<(rows * vocab)).map { Float(sin(Double($0) * 0.7)) * 3 }
  let targets: [Int32] = (0..<rows).map { Int32(($0 * 5 + 2) % vocab) }
  var shard = [Float](repeating: 0, count: rows * width)
  for r in 0..<rows {
    for c in 0..<valid { shard[r * width + c] = full[r * vocab + firstColumn + c] }
    for c in valid..<width { shard[r * width + c] = 1e3 }  // padding must not count
  }
  var reference = full
  var referenceLoss = [Float](repeating: 0, count: rows)
  var referenceStats = [Float](repeating: 0, count: 3 * rows)
  let whole = VocabParallelCrossEntropy(
    region: TensorParallelRegion(group: single.tensorParallel), vocab: vocab, paddedVocab: vocab)
  try whole.forward(
    losses: &referenceLoss, statistics: &referenceStats, logits: reference, targets: targets, rows: rows)
  whole.backward(logits: &reference, statistics: referenceStats, targets: targets, rows: rows, gradScale: 0.5)

  let split = VocabParallelCrossEntropy(
    region: TensorParallelRegion(group: grid.tensorParallel), vocab: vocab, paddedVocab: width * ranks)
  check(
    "vocabulary shard of rank \(grid.tpRank) (tp \(ranks))",
    (split.firstColumn, split.columns, split.validColumns) == (firstColumn, width, valid))
  var losses = [Float](repeating: 0, count: rows)
  var stats = [Float](repeating: 0, count: 3 * rows)
  try split.forward(losses: &losses, statistics: &stats, logits: shard, targets: targets, rows: rows)
  split.backward(logits: &shard, statistics: stats, targets: targets, rows: rows, gradScale: 0.5)
  // The shards sum the same exponentials in another order: float32 rounding of a 13-term sum
  // and a log, a few units in the last place of values of order 1–10.
  let lossError = zip(losses, referenceLoss).map { abs($0 - $1) / max(1, abs($1)) }.max()!
  check("vocab-parallel cross-entropy losses", lossError <= 16 * Float.ulpOfOne, "relative error \(lossError)")
  var gradError: Float = 0
  var paddingGradient: Float = 0
  for r in 0..<rows {
    for c in 0..<valid {
      gradError = max(gradError, abs(shard[r * width + c] - reference[r * vocab + firstColumn + c]))
    }
    for c in valid..<width { paddingGradient = max(paddingGradient, abs(shard[r * width + c])) }
  }
  check("vocab-parallel cross-entropy gradient", gradError <= 16 * Float.ulpOfOne, "max error \(gradError)")
  check("vocab-parallel cross-entropy padding gets no gradient", paddingGradient == 0, "\(paddingGradient)")
}

// Gradient buckets, announced in backward order, summed to everyone or to each piece's owner;
// under ZeRO-2 the pieces a rank does not own are released (zero) once reduced.
for stage in 0...2 {
  let count = 5000  // several pages, so that release gives whole pages back
  let tensorOffsets = [0, 120, 1300, 2650, 4700]
  let owners = stage > 0 ? ArenaPartition(tensorOffsets: tensorOffsets, arenaCount: count, parts: ranks) : nil
  let arena = FloatArena(count: count)
  let local = known(world.rank, count)
  arena.buffer.baseAddress!.update(from: local, count: count)
  let buckets = GradientBuckets(group: world, gradients: arena, owners: owners, releasesUnowned: stage == 2)
  for (offset, end) in zip(tensorOffsets, tensorOffsets.dropFirst() + [count]).reversed() {
    try buckets.bucketReady(.init(offset: offset, count: end - offset))
    try buckets.progress()
  }
  try buckets.finish()
  let gradients = Array(arena.buffer)
  let total = Float(ranks * (ranks + 1) / 2)
  let owned = owners?.ranges[world.rank] ?? 0..<count
  let summed = owned.allSatisfy { gradients[$0] == total * Float($0 % 7 + 1) }
  let others = (0..<count).filter { !owned.contains($0) }
  let name = [
    "gradient buckets allreduce", "gradient buckets reduce to the ZeRO-1 owners",
    "gradient buckets reduce to the ZeRO-2 owners",
  ][stage]
  check(name, summed && (stage > 0 || owned.count == count), "owned \(owned)")
  if stage == 1 {
    check("gradient buckets leave what others own unsummed", others.allSatisfy { gradients[$0] == local[$0] })
  }
  if stage == 2 { check("ZeRO-2 releases what others own", others.allSatisfy { gradients[$0] == 0 }) }
}

// The pipeline's point-to-point operations, the world as one pipeline (member s = stage s): each
// stage sends its known activations forward and its known gradient backward, both at once as the
// 1F1B steady state does; the first and last stage sum the tied embedding's gradient.
do {
  let link = PipelineLink(group: world)
  let count = 3000  // past Open MPI's eager limit: a blocking exchange here would deadlock
  var activations = known(world.rank, count)
  var gradient = known(world.rank + 10, count)
  var fromPrevious = [Float](repeating: -1, count: count)
  var fromNext = [Float](repeating: -1, count: count)
  var requests: [PipelineLink.Transfer] = []
  try activations.withUnsafeMutableBufferPointer { out in
    try gradient.withUnsafeMutableBufferPointer { back in
      try fromPrevious.withUnsafeMutableBufferPointer { inbound in
        try fromNext.withUnsafeMutableBufferPointer { gradientIn in
          if !link.isLast {
            requests.append(try link.sendActivations(out.baseAddress!, count: count))
            requests.append(try link.receiveGradient(into: gradientIn.baseAddress!, count: count))
          }
          if !link.isFirst {
            requests.append(try link.sendGradient(back.baseAddress!, count: count))
            requests.append(try link.receiveActivations(into: inbound.baseAddress!, count: count))
          }
          for request in requests { try request.wait() }
        }
      }
    }
  }
  check(
    "pipeline activations from the previous stage",
    link.isFirst ? fromPrevious.allSatisfy { $0 == -1 } : fromPrevious == known(world.rank - 1, count))
  check(
    "pipeline gradient from the next stage",
    link.isLast ? fromNext.allSatisfy { $0 == -1 } : fromNext == known(world.rank + 11, count))
  if link.isFirst || link.isLast {
    var tied = known(world.rank, count)
    try tied.withUnsafeMutableBufferPointer { try link.sumTiedEmbeddingGradient($0.baseAddress!, count: count) }
    check(
      "pipeline tied embedding gradient summed", tied == zip(known(0, count), known(ranks - 1, count)).map { $0 + $1 })
  }
  let stages = try ProcessGrid(world: world, tensorParallelSize: 1, pipelineStages: ranks)
  let shared = try stages.meanLoss(localSum: Double(world.rank) + 0.5, tokens: 2)
  check("pipeline loss of the last stage on every stage", shared == (Double(ranks - 1) + 0.5) / 2, "\(shared)")
}

MPIRuntime.finalise()
exit(failures == 0 ? 0 : 1)
