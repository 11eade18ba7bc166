import Kernels
import TestSupport
import Testing

/// The vocabulary-parallel recipe (Megatron's cross-entropy) done by hand on one process:
/// per-shard row max → global max → per-shard Σexp and target logit with the global max →
/// sums across shards → losses and per-shard gradients. It must reproduce the unsharded kernel.
///
/// Tolerance (ErrorBounds, as CrossEntropyTests): each run's loss is within
/// γ_{V+6} + γ₂·(|max + log Σ| + |loss|) of double log-softmax and each gradient entry within
/// γ_{V+8}·gradScale·softmax + u·|gradient| (the one-hot subtraction); the sharded and unsharded runs (different summation orders) are
/// within twice that of each other. Combining statistics wrongly (e.g. a per-shard max) is off
/// by O(1).
struct ShardedCrossEntropyTests {
  let memory = TestMemory()
  let rows = 6
  let vocabulary = 37
  let gradScale: Float = 1 / 6

  struct Outcome {
    var losses: [Float]
    var gradient: [Float]  // [rows, vocabulary], padding dropped
    var padding: [Float]  // every padding entry of every shard
  }

  /// The three passes over `shardCount` shards of width ⌈V / shardCount⌉, the last one padded.
  func runSharded(_ logits: [Float], targets: [Int32], shardCount: Int) -> Outcome {
    let width = (vocabulary + shardCount - 1) / shardCount
    let targetBuffer = memory.buffer(targets)
    let shards = (0..<shardCount).map { s in
      let first = s * width
      let valid = min(width, vocabulary - first)
      let values = CrossEntropyReference.shard(
        logits, rows: rows, vocabulary: vocabulary, first: first, valid: valid, width: width,
        padding: CrossEntropyReference.poison)
      return (first: first, valid: valid, logits: memory.buffer(values))
    }
    // Pass 1, then "allreduce max".
    var globalMax = [Float](repeating: -.infinity, count: rows)
    for shard in shards {
      let local = memory.buffer(repeating: Float.nan, count: rows)
      crossEntropyRowMax(
        local.pointer, logits: shard.logits.pointer, rows: rows, columns: width, validColumns: shard.valid)
      for n in 0..<rows { globalMax[n] = max(globalMax[n], local[n]) }
    }
    let rowMax = memory.buffer(globalMax)
    // Pass 2 with the global max, then "allreduce sum" of Σexp and of the target logit.
    let sumExp = memory.buffer(repeating: Float(0), count: rows)
    let targetLogit = memory.buffer(repeating: Float(0), count: rows)
    for shard in shards {
      let localSum = memory.buffer(repeating: Float.nan, count: rows)
      let localTarget = memory.buffer(repeating: Float.nan, count: rows)
      crossEntropyRowSums(
        sumExp: localSum.pointer, targetLogit: localTarget.pointer, logits: shard.logits.pointer,
        rowMax: rowMax.pointer, targets: targetBuffer.pointer, firstColumn: shard.first,
        rows: rows, columns: width, validColumns: shard.valid)
      for n in 0..<rows {
        sumExp[n] += localSum[n]
        targetLogit[n] += localTarget[n]
      }
    }
    // Pass 3: losses from the global statistics; each shard's gradient in place.
    let losses = memory.buffer(repeating: Float.nan, count: rows)
    crossEntropyLosses(
      losses.pointer, rowMax: rowMax.pointer, sumExp: sumExp.pointer, targetLogit: targetLogit.pointer,
      rows: rows)
    var outcome = Outcome(
      losses: losses.array, gradient: [Float](repeating: .nan, count: rows * vocabulary), padding: [])
    for shard in shards {
      crossEntropyBackwardInPlace(
        logits: shard.logits.pointer, rowMax: rowMax.pointer, sumExp: sumExp.pointer,
        targets: targetBuffer.pointer,
        firstColumn: shard.first, rows: rows, columns: width, validColumns: shard.valid, gradScale: gradScale)
      for n in 0..<rows {
        for j in 0..<width {
          let value = shard.logits[n * width + j]
          if j < shard.valid {
            outcome.gradient[n * vocabulary + shard.first + j] = value
          } else {
            outcome.padding.append(value)
          }
        }
      }
    }
    return outcome
  }

  @Test("loss and gradient over 2 or 3 vocabulary shards equal the unsharded kernel's", arguments: [2, 3])
  func shardedEqualsUnsharded(shardCount: Int) {
    var random = SeededRandom(seed: 90 + UInt64(shardCount))
    let logits = random.floats(rows * vocabulary, in: -5...5)
    var targets = random.tokens(rows, below: vocabulary)
    targets[0] = 0  // first shard
    targets[1] = Int32(vocabulary - 1)  // last column of the padded last shard
    let unsharded = runSharded(logits, targets: targets, shardCount: 1)
    let sharded = runSharded(logits, targets: targets, shardCount: shardCount)

    let logitsD = logits.map(Double.init)
    let referenceLosses = CrossEntropyReference.losses(
      logitsD, targets: targets, rows: rows, vocabulary: vocabulary)
    let lossError = measureError(sharded.losses, unsharded.losses)
    let gradientError = measureError(sharded.gradient, unsharded.gradient)
    let referenceError = measureError(sharded.losses, referenceLosses)
    report("sharded cross-entropy ×\(shardCount) losses vs unsharded", lossError)
    report("sharded cross-entropy ×\(shardCount) gradient vs unsharded", gradientError)
    report("sharded cross-entropy ×\(shardCount) losses vs double", referenceError)
    let lossBound = (0..<rows).map { n in
      let lse = referenceLosses[n] + logitsD[n * vocabulary + Int(targets[n])]
      return ErrorBounds.gamma(vocabulary + 6) + ErrorBounds.gamma(2) * (abs(lse) + abs(referenceLosses[n]))
    }
    let softmax = (0..<(rows * vocabulary)).map { i in
      Double(unsharded.gradient[i]) / Double(gradScale) + (Int(targets[i / vocabulary]) == i % vocabulary ? 1 : 0)
    }
    let gradientBound = zip(softmax, unsharded.gradient).map { p, g in
      2 * (ErrorBounds.gamma(vocabulary + 8) * Double(gradScale) * abs(p) + ErrorBounds.gamma(1) * abs(Double(g)))
    }
    let ratios = [
      ErrorBounds.worstRatio(sharded.losses, unsharded.losses.map(Double.init), lossBound.map { 2 * $0 }),
      ErrorBounds.worstRatio(sharded.gradient, unsharded.gradient.map(Double.init), gradientBound),
      ErrorBounds.worstRatio(sharded.losses, referenceLosses, lossBound),
    ]
    print("[KernelsTests] sharded cross-entropy ×\(shardCount) worst error/bound: \(ratios.map(formatted))")
    #expect(ratios[0] <= 1, "losses: \(lossError)")
    #expect(ratios[1] <= 1, "gradient: \(gradientError)")
    #expect(ratios[2] <= 1, "losses vs double: \(referenceError)")
    #expect(!sharded.padding.isEmpty, "the last shard should be padded in this layout")
    #expect(sharded.padding.allSatisfy { $0 == 0 }, "padding gradient: \(sharded.padding)")
  }
}
