/// A split of a parameter arena into one contiguous range per data-parallel rank, cut only at
/// tensor boundaries: ZeRO stage 1's ownership of the optimizer state (Rajbhandari et al. 2020,
/// "ZeRO: Memory Optimizations Toward Training Trillion Parameter Models").
///
/// Each rank owns whole tensors, so any per-tensor optimizer (AdamW, and Adafactor whose
/// factored moments span a whole matrix) computes exactly what it computes unsharded. Ranges
/// are balanced by element count: each cut is the tensor boundary nearest to `k · count / parts`.
/// Ranges cover the arena (alignment gaps included) and may be empty when there are more ranks
/// than tensors.
public struct ArenaPartition: Equatable, Sendable {
  /// Arena range of each rank, in rank order; together they cover `0 ..< arenaCount`.
  public let ranges: [Range<Int>]

  /// Cuts an arena of `arenaCount` floats whose tensors start at `tensorOffsets` (ascending,
  /// the first at 0) into `parts` ranges.
  public init(tensorOffsets: [Int], arenaCount: Int, parts: Int) {
    precondition(parts >= 1, "at least one part")
    let boundaries = tensorOffsets.filter { $0 > 0 && $0 < arenaCount } + [arenaCount]
    var cuts = [0]
    for k in 1..<parts {
      let ideal = Double(arenaCount) * Double(k) / Double(parts)
      let candidates = boundaries.filter { $0 >= cuts.last! }
      let nearest = candidates.min { abs(Double($0) - ideal) < abs(Double($1) - ideal) } ?? arenaCount
      cuts.append(nearest)
    }
    cuts.append(arenaCount)
    ranges = (0..<parts).map { cuts[$0]..<cuts[$0 + 1] }
  }

  /// Number of ranks sharing the arena.
  public var parts: Int { ranges.count }

  /// The rank owning arena offset `offset`.
  public func owner(of offset: Int) -> Int {
    // The last range containing it (empty ranges before a non-empty one contain nothing).
    ranges.lastIndex { $0.lowerBound <= offset && offset < $0.upperBound } ?? ranges.count - 1
  }

  /// `range` cut along the owners' ranges: the non-empty pieces and who owns each.
  public func pieces(of range: Range<Int>) -> [(owner: Int, range: Range<Int>)] {
    ranges.enumerated().compactMap { owner, owned in
      let lower = max(owned.lowerBound, range.lowerBound)
      let upper = min(owned.upperBound, range.upperBound)
      return lower < upper ? (owner, lower..<upper) : nil
    }
  }
}
