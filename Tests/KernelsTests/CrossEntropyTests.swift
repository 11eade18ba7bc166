import Foundation
import Kernels
import TestSupport
import Testing

/// The three-pass cross-entropy on one (possibly padded) shard of the vocabulary.
///
/// Tolerances (ErrorBounds), element by element. The row max and the target logit are exact.
/// Σexp(z − max) over V columns: each term has a subtraction and a 2-ulp exp (γ₅), plus the sum,
/// so relative γ_{V+5}. loss = max + log Σ − z_target: log turns that relative error into an
/// absolute one, and the two additions round at the size of their results (rows shifted by ±100
/// form log Σ + max near 100): γ_{V+6} + γ₂·(|max + log Σ| + |loss|). The gradient
/// gradScale·(softmax − one-hot) has relative error γ_{V+8} on each softmax entry, one more u
/// of the result where the one-hot is subtracted, plus the finite differences' error (log-sum-exp has third derivative ≤ 1). Using a padding column,
/// the wrong target or a missing max shift gives O(1) or NaN errors.
struct CrossEntropyTests {
  let memory = TestMemory()
  let rows = 5
  let vocabulary = 37  // not a multiple of 8: the SIMD loops' scalar tails run
  let gradScale: Float = 0.37

  func logits(seed: UInt64) -> [Float] {
    var random = SeededRandom(seed: seed)
    var logits = random.floats(rows * vocabulary, in: -4...4)
    // Rows far from zero: exp without the max shift would overflow (row 1) or vanish (row 2).
    for j in 0..<vocabulary {
      logits[1 * vocabulary + j] += 100
      logits[2 * vocabulary + j] -= 100
    }
    return logits
  }

  func targets(seed: UInt64) -> [Int32] {
    var random = SeededRandom(seed: seed)
    var targets = random.tokens(rows, below: vocabulary)
    targets[0] = Int32(vocabulary - 1)  // in the scalar tail
    return targets
  }

  /// The row max, Σexp and target logit of a shard of `logits`, rows `columns` wide whose first
  /// `valid` columns are vocabulary columns [firstColumn, firstColumn + valid), from the first two
  /// passes into buffers that start as NaN, so an entry the kernels skip shows. Σexp is shifted by
  /// `shift` (the global row max a sharded run allreduces) or, without it, by the shard's own max.
  func firstTwoPasses(
    logits: TestBuffer<Float>, targets: TestBuffer<Int32>, firstColumn: Int = 0, columns: Int, valid: Int,
    shift: TestBuffer<Float>? = nil
  ) -> (rowMax: TestBuffer<Float>, sumExp: TestBuffer<Float>, targetLogit: TestBuffer<Float>) {
    let rowMax = memory.buffer(repeating: Float.nan, count: rows)
    let sumExp = memory.buffer(repeating: Float.nan, count: rows)
    let targetLogit = memory.buffer(repeating: Float.nan, count: rows)
    crossEntropyRowMax(rowMax.pointer, logits: logits.pointer, rows: rows, columns: columns, validColumns: valid)
    crossEntropyRowSums(
      sumExp: sumExp.pointer, targetLogit: targetLogit.pointer, logits: logits.pointer,
      rowMax: (shift ?? rowMax).pointer, targets: targets.pointer, firstColumn: firstColumn,
      rows: rows, columns: columns, validColumns: valid)
    return (rowMax, sumExp, targetLogit)
  }

  @Test("unsharded forward passes give row max, Σexp and losses equal to double log-softmax")
  func lossesMatchReference() {
    let logits = logits(seed: 81)
    let targets = targets(seed: 82)
    let (rowMax, sumExp, targetLogit) = firstTwoPasses(
      logits: memory.buffer(logits), targets: memory.buffer(targets), columns: vocabulary, valid: vocabulary)
    let losses = memory.buffer(repeating: Float.nan, count: rows)
    crossEntropyLosses(
      losses.pointer, rowMax: rowMax.pointer, sumExp: sumExp.pointer, targetLogit: targetLogit.pointer,
      rows: rows)

    let logitsD = logits.map(Double.init)
    let statistics = CrossEntropyReference.rowStatistics(logitsD, rows: rows, vocabulary: vocabulary)
    let expectedTargets = (0..<rows).map { logitsD[$0 * vocabulary + Int(targets[$0])] }
    let expectedLosses = CrossEntropyReference.losses(
      logitsD, targets: targets, rows: rows, vocabulary: vocabulary)
    let lossBounds = (0..<rows).map { n in
      ErrorBounds.gamma(vocabulary + 6)
        + ErrorBounds.gamma(2) * (abs(expectedLosses[n] + expectedTargets[n]) + abs(expectedLosses[n]))
    }
    let checks: [(String, [Float], [Double], [Double])] = [
      ("rowMax", rowMax.array, statistics.max, Array(repeating: 0, count: rows)),
      ("sumExp", sumExp.array, statistics.sumExp, statistics.sumExp.map { ErrorBounds.gamma(vocabulary + 5) * $0 }),
      ("targetLogit", targetLogit.array, expectedTargets, Array(repeating: 0, count: rows)),
      ("losses", losses.array, expectedLosses, lossBounds),
    ]
    for (name, actual, expected, bound) in checks {
      let error = measureError(actual, expected)
      // Exact quantities (bound 0) must match exactly.
      let ratio = zip(zip(actual, expected), bound).map { pair, b in
        let e = abs(Double(pair.0) - pair.1)
        return e == 0 ? 0 : e / b
      }.max()!
      report("cross-entropy forward \(name)", error, ratio: ratio)
      #expect(ratio <= 1, "\(name): \(error), error/bound \(ratio)")
    }
  }

  @Test("unsharded backward equals gradScale × double finite differences of Σ losses")
  func backwardMatchesFiniteDifferences() {
    let logits = logits(seed: 83)
    let targets = targets(seed: 84)
    let gradient = memory.buffer(logits)  // overwritten in place with its gradient
    let targetBuffer = memory.buffer(targets)
    let (rowMax, sumExp, _) = firstTwoPasses(
      logits: gradient, targets: targetBuffer, columns: vocabulary, valid: vocabulary)
    crossEntropyBackwardInPlace(
      logits: gradient.pointer, rowMax: rowMax.pointer, sumExp: sumExp.pointer, targets: targetBuffer.pointer,
      firstColumn: 0, rows: rows, columns: vocabulary, validColumns: vocabulary, gradScale: gradScale)

    let expected = numericalGradient(at: logits.map(Double.init)) {
      Double(gradScale)
        * CrossEntropyReference.losses($0, targets: targets, rows: rows, vocabulary: vocabulary).reduce(0, +)
    }
    let bound = softmaxGradientBound(
      expected, targets: targets, firstColumn: 0, valid: vocabulary, vocabulary: vocabulary)
    expectWithinBound("cross-entropy backward (unsharded)", gradient.array, expected, bound)
  }

  /// This shard owns vocabulary columns [16, 29) of 29, stored 16 wide: the three padding
  /// columns hold poison (1000 and NaN), so any read of them shows. Rows 0, 2 and 4 have
  /// targets owned by the other shard.
  @Test("a padded shard with foreign targets: statistics and gradient of its own columns")
  func paddedShardMatchesFiniteDifferences() {
    let (vocabulary, first, valid, width) = (29, 16, 13, 16)
    var random = SeededRandom(seed: 85)
    let full = random.floats(rows * vocabulary, in: -3...3)
    let targets: [Int32] = [3, 20, 15, 28, 0]
    let fullD = full.map(Double.init)
    // Global statistics as the allreduces would deliver them, here computed in double.
    let statistics = CrossEntropyReference.rowStatistics(fullD, rows: rows, vocabulary: vocabulary)
    let rowMax = memory.buffer(statistics.max.map { Float($0) })
    let sumExp = memory.buffer(statistics.sumExp.map { Float($0) })

    let shard = memory.buffer(
      CrossEntropyReference.shard(
        full, rows: rows, vocabulary: vocabulary, first: first, valid: valid, width: width,
        padding: CrossEntropyReference.poison))
    let targetBuffer = memory.buffer(targets)
    let (localMax, localSum, localTarget) = firstTwoPasses(
      logits: shard, targets: targetBuffer, firstColumn: first, columns: width, valid: valid, shift: rowMax)
    let shardD = CrossEntropyReference.shard(
      fullD, rows: rows, vocabulary: vocabulary, first: first, valid: valid, width: valid, padding: [])
    let expectedMax = (0..<rows).map { n in shardD[(n * valid)..<((n + 1) * valid)].max()! }
    let expectedSum = (0..<rows).map { n in
      shardD[(n * valid)..<((n + 1) * valid)].reduce(0) { $0 + exp($1 - Double(rowMax[n])) }
    }
    let expectedTarget = (0..<rows).map { n in
      (first..<(first + valid)).contains(Int(targets[n])) ? fullD[n * vocabulary + Int(targets[n])] : 0
    }
    for (name, actual, expected, relative) in [
      ("local max", localMax.array, expectedMax, 0),
      ("local Σexp", localSum.array, expectedSum, ErrorBounds.gamma(valid + 5)),
      ("local target logit", localTarget.array, expectedTarget, 0),
    ] {
      let error = measureError(actual, expected)
      let ratio =
        relative == 0 ? (error.maxAbsolute == 0 ? 0 : .infinity) : error.maxAbsolute / (relative * error.scale)
      report("cross-entropy shard \(name)", error, ratio: ratio)
      #expect(ratio <= 1, "\(name): \(error), relative bound \(relative)")
    }

    crossEntropyBackwardInPlace(
      logits: shard.pointer, rowMax: rowMax.pointer, sumExp: sumExp.pointer, targets: targetBuffer.pointer,
      firstColumn: first, rows: rows, columns: width, validColumns: valid, gradScale: gradScale)
    // d(gradScale·Σ loss)/d(logit) for the shard's own columns only.
    let indices = (0..<rows).flatMap { n in (first..<(first + valid)).map { n * vocabulary + $0 } }
    let expected = numericalGradient(at: indices.map { fullD[$0] }) { values in
      var point = fullD
      for (index, value) in zip(indices, values) { point[index] = value }
      return Double(gradScale)
        * CrossEntropyReference.losses(point, targets: targets, rows: rows, vocabulary: vocabulary).reduce(
          0, +)
    }
    let result = shard.array
    let ownColumns = (0..<rows).flatMap { n in result[(n * width)..<(n * width + valid)] }
    // The global Σexp arrives rounded to float32 (u) on top of the shard's own γ_{V+8}.
    let bound = softmaxGradientBound(
      expected, targets: targets, firstColumn: first, valid: valid, vocabulary: vocabulary, extra: 1)
    expectWithinBound("cross-entropy backward (padded shard)", ownColumns, expected, bound)
    let padding = (0..<rows).flatMap { n in result[(n * width + valid)..<((n + 1) * width)] }
    #expect(padding.allSatisfy { $0 == 0 }, "padding gradient must be exactly 0, got \(padding)")
  }

  /// Element-wise bound for gradScale·(softmax − one-hot) given its double reference `expected`
  /// over columns [firstColumn, firstColumn + valid): γ_{V+8+extra} of the softmax part, plus
  /// the finite differences' error (objective Σ losses ≤ rows·(max|z| + log V) ≤ 100·rows here).
  func softmaxGradientBound(
    _ expected: [Double], targets: [Int32], firstColumn: Int, valid: Int, vocabulary: Int, extra: Int = 0
  ) -> [Double] {
    let fd = ErrorBounds.finiteDifferenceError(
      objectiveScale: Double(gradScale) * 110 * Double(rows), thirdDerivative: 1)
    return expected.indices.map { i in
      let (n, j) = (i / valid, firstColumn + i % valid)
      let softmax = expected[i] / Double(gradScale) + (Int(targets[n]) == j ? 1 : 0)
      // The target entry's − gradScale rounds once more at the size of the result.
      return ErrorBounds.gamma(vocabulary + 8 + extra) * Double(gradScale) * abs(softmax)
        + ErrorBounds.gamma(1) * abs(expected[i]) + fd
    }
  }
}
