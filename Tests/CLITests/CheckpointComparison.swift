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

  static func finalCheckpoint(_ runDirectory: String, step: Int) -> String {
    runDirectory + "/checkpoints/" + CheckpointLayout.fileName(step: step)
  }
}
