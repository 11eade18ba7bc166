import Foundation

/// Double-precision softmax cross-entropy over dense logits `[rows, vocabulary]`, and the
/// column slicing the sharded tests need.
enum CrossEntropyReference {
  /// loss[n] = log Σ_j exp(logits[n, j]) − logits[n, target[n]], computed stably.
  static func losses(_ logits: [Double], targets: [Int32], rows: Int, vocabulary: Int) -> [Double] {
    (0..<rows).map { n in
      let row = logits[(n * vocabulary)..<((n + 1) * vocabulary)]
      let maximum = row.max()!
      let sum = row.reduce(0) { $0 + exp($1 - maximum) }
      return maximum + log(sum) - row[row.startIndex + Int(targets[n])]
    }
  }

  /// Row maxima and Σ exp(x − max) over the whole vocabulary (the global statistics a shard's
  /// backward receives after the allreduces).
  static func rowStatistics(_ logits: [Double], rows: Int, vocabulary: Int) -> (
    max: [Double], sumExp: [Double]
  ) {
    var maxima: [Double] = []
    var sums: [Double] = []
    for n in 0..<rows {
      let row = logits[(n * vocabulary)..<((n + 1) * vocabulary)]
      let maximum = row.max()!
      maxima.append(maximum)
      sums.append(row.reduce(0) { $0 + exp($1 - maximum) })
    }
    return (maxima, sums)
  }

  /// Columns `[first, first + valid)` of every row, each row padded to `width` with `padding`
  /// repeated (poison values: a kernel that reads them gives a visibly wrong answer).
  static func shard<T>(
    _ logits: [T], rows: Int, vocabulary: Int, first: Int, valid: Int, width: Int, padding: [T]
  ) -> [T] {
    var result: [T] = []
    result.reserveCapacity(rows * width)
    for n in 0..<rows {
      let start = n * vocabulary + first
      result.append(contentsOf: logits[start..<(start + valid)])
      for k in 0..<(width - valid) { result.append(padding[k % padding.count]) }
    }
    return result
  }

  /// Padding poison: a huge logit would win any row maximum that looked at it, and NaN would
  /// poison any sum (NaN alone is not enough: Swift's `max` skips it).
  static let poison: [Float] = [1000, .nan]
}
