import Checkpointing
import Foundation

/// Compares the tensors of two checkpoint files.
enum CheckpointComparison {
  /// Largest |a − b| over every `/model` tensor (and `/optimizer` tensors when asked), and
  /// whether every compared tensor is bit-identical. Tensors whose path `skipping` accepts are
  /// left out.
  static func compare(
    _ a: String, _ b: String, includeOptimizer: Bool = true, skipping: (String) -> Bool = { _ in false }
  ) throws -> (maxDifference: Float, identical: Bool, tensors: Int) {
    let left = try CheckpointReader(path: a)
    let right = try CheckpointReader(path: b)
    var worst: Float = 0
    var identical = true
    var count = 0
    for info in try left.tensors() {
      let isModel = info.path.hasPrefix("model/")
      guard isModel || (includeOptimizer && info.path.hasPrefix("optimizer/")), !skipping(info.path) else { continue }
      let x = try left.read(info.path)
      let y = try right.read(info.path)
      count += 1
      for (p, q) in zip(x, y) {
        if p.bitPattern != q.bitPattern { identical = false }
        if isModel { worst = max(worst, abs(p - q)) }
      }
    }
    return (worst, identical, count)
  }

  /// Every |a − b| of the `/model` tensors of two checkpoints whose path `including` accepts
  /// (all of `a`'s tensors must be in `b`).
  static func modelDifferences(_ a: String, _ b: String, including: (String) -> Bool = { _ in true }) throws -> [Float]
  {
    let left = try CheckpointReader(path: a)
    let right = try CheckpointReader(path: b)
    var differences: [Float] = []
    for info in try left.tensors() where info.path.hasPrefix("model/") && including(info.path) {
      differences += zip(try left.read(info.path), try right.read(info.path)).map { abs($0 - $1) }
    }
    return differences
  }

  static func finalCheckpoint(_ runDirectory: String, step: Int) -> String {
    runDirectory + "/checkpoints/" + CheckpointLayout.fileName(step: step)
  }
}
