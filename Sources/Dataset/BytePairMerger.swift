/// Byte-pair merging of one pre-token piece (Sennrich et al. 2016; GPT-2's byte-level variant).
///
/// The piece starts as one token per byte. While some adjacent pair of tokens (P, Q) has a
/// concatenation P+Q that is itself a vocabulary entry, the pair whose entry has the lowest rank is
/// merged, the leftmost one on a tie. This is tiktoken's rule; the rank of an entry is its id.
/// OpenAI's original `encoder.py` instead merges only the 50,000 pairs listed in `vocab.bpe` (and
/// has no shortcut for whole-entry pieces); the two rules gave identical ids on all 15,057
/// distinct pieces of tiny Shakespeare and on 30,000 random concatenations of entries, and every
/// entry is reachable by the listed merges (checked while writing this; see docs/data.md). Where
/// they could differ, this follows tiktoken, the reference the tests compare against.
///
/// Short pieces (almost all) use the direct quadratic scan; long ones (a page of CJK text without
/// spaces, a long whitespace run) use a heap so that a pathological input cannot take quadratic
/// time. Both give the same merges, as `BytePairMergerTests` checks.
final class BytePairMerger {
  /// Pieces up to this many bytes use the quadratic scan.
  static let heapThreshold = 128

  private let pairs: PairTable
  private let byteTokens: [Int32]
  // Scratch buffers for the quadratic scan of pieces up to `heapThreshold` bytes.
  private let scratchIds = UnsafeMutablePointer<Int32>.allocate(capacity: BytePairMerger.heapThreshold)
  private let scratchRanks = UnsafeMutablePointer<Int32>.allocate(capacity: BytePairMerger.heapThreshold)

  private static let noMerge = Int32.max

  /// - Parameters:
  ///   - pairs: for every two entries whose concatenation is an entry, that entry's id.
  ///   - byteTokens: the id of each single byte.
  init(pairs: PairTable, byteTokens: [Int32]) {
    self.pairs = pairs
    self.byteTokens = byteTokens
  }

  deinit {
    scratchIds.deallocate()
    scratchRanks.deallocate()
  }

  /// Merges the `count` bytes at `piece` and appends the resulting ids to `out`.
  func merge(_ piece: UnsafePointer<UInt8>, _ count: Int, into out: inout [Int32]) {
    if count > BytePairMerger.heapThreshold {
      mergeWithHeap(piece, count, into: &out)
    } else {
      mergeByScan(piece, count, into: &out)
    }
  }

  /// tiktoken-style: keep the rank of every adjacent pair; merge the minimum; update neighbours.
  func mergeByScan(_ piece: UnsafePointer<UInt8>, _ count: Int, into out: inout [Int32]) {
    // Long pieces only reach here from tests; they get buffers of their own.
    let ownBuffers = count > BytePairMerger.heapThreshold
    let id = ownBuffers ? UnsafeMutablePointer<Int32>.allocate(capacity: count) : scratchIds
    let rank = ownBuffers ? UnsafeMutablePointer<Int32>.allocate(capacity: count) : scratchRanks
    defer {
      if ownBuffers {
        id.deallocate()
        rank.deallocate()
      }
    }
    let pairs = self.pairs
    byteTokens.withUnsafeBufferPointer { bytes in
      for i in 0..<count { id[i] = bytes[Int(piece[i])] }
    }
    var parts = count
    for i in 0..<(parts - 1) { rank[i] = pairs.merged(id[i], id[i + 1]) ?? BytePairMerger.noMerge }
    while parts > 1 {
      var best = BytePairMerger.noMerge
      var at = 0
      for i in 0..<(parts - 1) where rank[i] < best {
        best = rank[i]
        at = i
      }
      if best == BytePairMerger.noMerge { break }
      id[at] = best  // the merged entry's id is its rank
      // Remove part at+1 and the rank of the pair it started.
      if at + 2 < parts {
        (id + at + 1).update(from: id + at + 2, count: parts - at - 2)
        (rank + at + 1).update(from: rank + at + 2, count: parts - at - 3)
      }
      parts -= 1
      if at + 1 < parts { rank[at] = pairs.merged(id[at], id[at + 1]) ?? BytePairMerger.noMerge }
      if at > 0 { rank[at - 1] = pairs.merged(id[at - 1], id[at]) ?? BytePairMerger.noMerge }
    }
    out.append(contentsOf: UnsafeBufferPointer(start: id, count: parts))
  }

  /// The same merges with a min-heap of (rank, position) and a linked list of parts, in
  /// O(n log n). Stale heap entries are skipped by re-checking the pair when popped.
  func mergeWithHeap(_ piece: UnsafePointer<UInt8>, _ count: Int, into out: inout [Int32]) {
    // Parts are named by the index of their first byte; `next`/`previous` link live parts.
    var id = (0..<count).map { byteTokens[Int(piece[$0])] }
    var next = Array(1...count)  // `count` means none
    var previous = Array(-1..<(count - 1))
    var heap = MinHeap()
    for i in 0..<(count - 1) {
      if let rank = pairs.merged(id[i], id[i + 1]) { heap.push(rank: rank, position: i) }
    }
    while let (rank, left) = heap.pop() {
      let right = next[left]
      // Valid only if `left` is still a live part with a right neighbour forming this pair.
      guard right < count, id[left] >= 0, pairs.merged(id[left], id[right]) == rank else { continue }
      id[left] = rank
      id[right] = -1  // dead
      let after = next[right]
      next[left] = after
      if after < count {
        previous[after] = left
        if let newRank = pairs.merged(rank, id[after]) { heap.push(rank: newRank, position: left) }
      }
      let before = previous[left]
      if before >= 0, let newRank = pairs.merged(id[before], rank) { heap.push(rank: newRank, position: before) }
    }
    var i = 0
    while i < count {
      out.append(id[i])
      i = next[i]
    }
  }
}

/// The lookup (left id, right id) → id of their concatenation, as an open-addressing table.
struct PairTable {
  private var keys: [UInt64]
  private var merged: [Int32]
  private let mask: Int
  private static let empty = UInt64.max

  init(capacityFor count: Int) {
    var size = 16
    while size < 2 * count { size *= 2 }
    keys = [UInt64](repeating: PairTable.empty, count: size)
    merged = [Int32](repeating: 0, count: size)
    mask = size - 1
  }

  @inline(__always)
  private static func key(_ left: Int32, _ right: Int32) -> UInt64 {
    UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
  }

  @inline(__always)
  private func slot(_ key: UInt64) -> Int {
    Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 40) & mask
  }

  mutating func insert(_ left: Int32, _ right: Int32, merged id: Int32) {
    let key = PairTable.key(left, right)
    var index = slot(key)
    while keys[index] != PairTable.empty && keys[index] != key { index = (index + 1) & mask }
    keys[index] = key
    merged[index] = id
  }

  /// The id of `left`'s bytes followed by `right`'s, if that is an entry.
  @inline(__always)
  func merged(_ left: Int32, _ right: Int32) -> Int32? {
    let key = PairTable.key(left, right)
    var index = slot(key)
    return keys.withUnsafeBufferPointer { keys in
      while true {
        let stored = keys[index]
        if stored == key { return merged[index] }
        if stored == PairTable.empty { return nil }
        index = (index + 1) & mask
      }
    }
  }
}

/// A binary min-heap of (rank, position), ordered by rank then position (leftmost first).
private struct MinHeap {
  private var items: [UInt64] = []  // rank << 32 | position: one comparison orders both

  mutating func push(rank: Int32, position: Int) {
    items.append(UInt64(UInt32(rank)) << 32 | UInt64(UInt32(position)))
    var child = items.count - 1
    while child > 0 {
      let parent = (child - 1) / 2
      if items[parent] <= items[child] { break }
      items.swapAt(parent, child)
      child = parent
    }
  }

  mutating func pop() -> (Int32, Int)? {
    guard let top = items.first else { return nil }
    let last = items.removeLast()
    if !items.isEmpty {
      items[0] = last
      var parent = 0
      while true {
        let left = 2 * parent + 1
        if left >= items.count { break }
        var smallest = left
        if left + 1 < items.count && items[left + 1] < items[left] { smallest = left + 1 }
        if items[parent] <= items[smallest] { break }
        items.swapAt(parent, smallest)
        parent = smallest
      }
    }
    return (Int32(top >> 32), Int(top & 0xFFFF_FFFF))
  }
}
