import Parallel
import Testing

/// ZeRO-1's split of the parameter arena: whole tensors per rank, balanced, covering the arena.
struct ArenaPartitionTests {
  // Tensors of 100, 10, 40, 40, 10 floats, starting at these offsets; arena of 200.
  let offsets = [0, 100, 110, 150, 190]

  @Test func rangesCoverTheArenaAndCutOnlyAtTensorBoundaries() {
    for parts in 1...7 {
      let partition = ArenaPartition(tensorOffsets: offsets, arenaCount: 200, parts: parts)
      #expect(partition.ranges.count == parts)
      #expect(partition.ranges.first!.lowerBound == 0 && partition.ranges.last!.upperBound == 200)
      for (a, b) in zip(partition.ranges, partition.ranges.dropFirst()) {
        #expect(a.upperBound == b.lowerBound, "contiguous: \(partition.ranges)")
        #expect(offsets.contains(b.lowerBound) || b.lowerBound == 200, "cut inside a tensor: \(partition.ranges)")
      }
    }
  }

  @Test func cutsAreTheBoundariesNearestToEqualShares() {
    #expect(ArenaPartition(tensorOffsets: offsets, arenaCount: 200, parts: 2).ranges == [0..<100, 100..<200])
    #expect(
      ArenaPartition(tensorOffsets: offsets, arenaCount: 200, parts: 4).ranges == [
        0..<100, 100..<100, 100..<150, 150..<200,
      ])
  }

  @Test func moreRanksThanTensorsLeavesSomeEmpty() {
    let partition = ArenaPartition(tensorOffsets: [0, 16], arenaCount: 32, parts: 5)
    #expect(partition.ranges.filter { !$0.isEmpty }.count == 2)
    #expect(partition.ranges.map(\.count).reduce(0, +) == 32)
    #expect(partition.owner(of: 0) != partition.owner(of: 16))
    #expect(partition.ranges[partition.owner(of: 20)].contains(20))
  }

  @Test func bucketsAreCutAlongTheOwners() {
    let partition = ArenaPartition(tensorOffsets: offsets, arenaCount: 200, parts: 2)
    let pieces = partition.pieces(of: 90..<160)
    #expect(pieces.map(\.owner) == [0, 1])
    #expect(pieces.map(\.range) == [90..<100, 100..<160])
    #expect(partition.pieces(of: 120..<130).map(\.owner) == [1])
    #expect(partition.pieces(of: 150..<150).isEmpty)
  }
}
