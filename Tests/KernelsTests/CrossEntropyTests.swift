import Foundation
import Kernels
import Testing

/// The three-pass cross-entropy on one (possibly padded) shard of the vocabulary.
///
/// Tolerances: losses are checked to 1e-5 relative to the largest loss. Rows shifted by ±100
/// (to prove the max-subtraction keeps exp in range) carry an inherent float32 error of about
/// ulp(100)/2 ≈ 4e-6 absolute, because log(Σ) + max is formed near 100 before the target logit
/// is subtracted; unshifted rows are ~1e-7 (measured overall: 4.3e-7 relative). Gradients
/// (softmax − one-hot, each entry one FastMath.exp times a factor; measured ≤ 3.4e-8) are
/// checked to 1e-6 relative to the largest entry; the double finite differences of the loss
/// are exact to ~1e-9. Using a padding column, the
/// wrong target or a missing max shift gives O(1) or NaN errors.
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

  @Test("unsharded forward passes give row max, Σexp and losses equal to double log-softmax")
  func lossesMatchReference() {
    let logits = logits(seed: 81)
    let targets = targets(seed: 82)
    let logitsBuffer = memory.buffer(logits)
    let targetBuffer = memory.buffer(targets)
    let rowMax = memory.buffer(repeating: Float.nan, count: rows)
    let sumExp = memory.buffer(repeating: Float.nan, count: rows)
    let targetLogit = memory.buffer(repeating: Float.nan, count: rows)
    let losses = memory.buffer(repeating: Float.nan, count: rows)
    crossEntropyRowMax(
      rowMax.pointer, logits: logitsBuffer.pointer, rows: rows, columns: vocabulary, validColumns: vocabulary)
    crossEntropyRowSums(
      sumExp: sumExp.pointer, targetLogit: targetLogit.pointer, logits: logitsBuffer.pointer,
      rowMax: rowMax.pointer, targets: targetBuffer.pointer, firstColumn: 0,
      rows: rows, columns: vocabulary, validColumns: vocabulary)
    crossEntropyLosses(
      losses.pointer, rowMax: rowMax.pointer, sumExp: sumExp.pointer, targetLogit: targetLogit.pointer,
      rows: rows)

    let logitsD = logits.map(Double.init)
    let statistics = CrossEntropyReference.rowStatistics(logitsD, rows: rows, vocabulary: vocabulary)
    let expectedTargets = (0..<rows).map { logitsD[$0 * vocabulary + Int(targets[$0])] }
    let expectedLosses = CrossEntropyReference.losses(
      logitsD, targets: targets, rows: rows, vocabulary: vocabulary)
    let checks: [(String, [Float], [Double], Double)] = [
      ("rowMax", rowMax.array, statistics.max, 0),
      ("sumExp", sumExp.array, statistics.sumExp, 1e-5),
      ("targetLogit", targetLogit.array, expectedTargets, 0),
      ("losses", losses.array, expectedLosses, 1e-5),
    ]
    for (name, actual, expected, tolerance) in checks {
      let error = measureError(actual, expected)
      report("cross-entropy forward \(name)", error)
      #expect(error.relative <= tolerance, "\(name): \(error)")
    }
  }

  @Test("unsharded backward equals gradScale × double finite differences of Σ losses")
  func backwardMatchesFiniteDifferences() {
    let logits = logits(seed: 83)
    let targets = targets(seed: 84)
    let gradient = memory.buffer(logits)  // overwritten in place with its gradient
    let targetBuffer = memory.buffer(targets)
    let rowMax = memory.buffer(repeating: Float(0), count: rows)
    let sumExp = memory.buffer(repeating: Float(0), count: rows)
    let targetLogit = memory.buffer(repeating: Float(0), count: rows)
    crossEntropyRowMax(
      rowMax.pointer, logits: gradient.pointer, rows: rows, columns: vocabulary, validColumns: vocabulary)
    crossEntropyRowSums(
      sumExp: sumExp.pointer, targetLogit: targetLogit.pointer, logits: gradient.pointer,
      rowMax: rowMax.pointer, targets: targetBuffer.pointer, firstColumn: 0,
      rows: rows, columns: vocabulary, validColumns: vocabulary)
    crossEntropyBackwardInPlace(
      logits: gradient.pointer, rowMax: rowMax.pointer, sumExp: sumExp.pointer, targets: targetBuffer.pointer,
      firstColumn: 0, rows: rows, columns: vocabulary, validColumns: vocabulary, gradScale: gradScale)

    let expected = numericalGradient(at: logits.map(Double.init)) {
      Double(gradScale)
        * CrossEntropyReference.losses($0, targets: targets, rows: rows, vocabulary: vocabulary).reduce(0, +)
    }
    let error = measureError(gradient.array, expected)
    report("cross-entropy backward (unsharded)", error)
    #expect(error.relative < 1e-6, "\(error)")
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
    let localMax = memory.buffer(repeating: Float.nan, count: rows)
    let localSum = memory.buffer(repeating: Float.nan, count: rows)
    let localTarget = memory.buffer(repeating: Float.nan, count: rows)
    crossEntropyRowMax(
      localMax.pointer, logits: shard.pointer, rows: rows, columns: width, validColumns: valid)
    crossEntropyRowSums(
      sumExp: localSum.pointer, targetLogit: localTarget.pointer, logits: shard.pointer,
      rowMax: rowMax.pointer,
      targets: targetBuffer.pointer, firstColumn: first, rows: rows, columns: width, validColumns: valid)
    let shardD = CrossEntropyReference.shard(
      fullD, rows: rows, vocabulary: vocabulary, first: first, valid: valid, width: valid, padding: [])
    let expectedMax = (0..<rows).map { n in shardD[(n * valid)..<((n + 1) * valid)].max()! }
    let expectedSum = (0..<rows).map { n in
      shardD[(n * valid)..<((n + 1) * valid)].reduce(0) { $0 + exp($1 - Double(rowMax[n])) }
    }
    let expectedTarget = (0..<rows).map { n in
      (first..<(first + valid)).contains(Int(targets[n])) ? fullD[n * vocabulary + Int(targets[n])] : 0
    }
    for (name, actual, expected) in [
      ("local max", localMax.array, expectedMax), ("local Σexp", localSum.array, expectedSum),
      ("local target logit", localTarget.array, expectedTarget),
    ] {
      let error = measureError(actual, expected)
      report("cross-entropy shard \(name)", error)
      #expect(error.relative < 1e-5, "\(name): \(error)")
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
    let error = measureError(ownColumns, expected)
    report("cross-entropy backward (padded shard)", error)
    #expect(error.relative < 1e-6, "\(error)")
    let padding = (0..<rows).flatMap { n in result[(n * width + valid)..<((n + 1) * width)] }
    #expect(padding.allSatisfy { $0 == 0 }, "padding gradient must be exactly 0, got \(padding)")
  }
}
