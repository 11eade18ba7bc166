import Foundation
import Testing

@testable import Dataset

/// Which windows the sampler reads: file order without a seed, a seeded permutation per epoch
/// with one.
@Suite struct BatchSamplerTests {
  /// 10 windows of T = 4 (41 tokens: each window reads one more for its targets).
  static let seqLen = 4
  static let windows = 10

  static func sampler(shuffleSeed: UInt64?) throws -> (BatchSampler, cleanUp: () -> Void) {
    let folder = try TestData.temporaryDirectory()
    let path = folder + "/train_000000.bin"
    try TokenShardWriter.write(0..<(windows * seqLen + 1), to: path)
    let sampler = BatchSampler(stream: try TokenStream(pattern: path), seqLen: seqLen, shuffleSeed: shuffleSeed)
    return (sampler, { try? FileManager.default.removeItem(atPath: folder) })
  }

  /// The windows sequences `epoch·W ..< (epoch+1)·W` start at.
  static func windowsOfEpoch(_ epoch: Int, _ sampler: BatchSampler) -> [Int] {
    (epoch * windows..<(epoch + 1) * windows).map { sampler.offset(ofSequence: $0) / seqLen }
  }

  @Test func withoutASeedTheWindowsComeInFileOrderAndWrap() throws {
    let (sampler, cleanUp) = try Self.sampler(shuffleSeed: nil)
    defer { cleanUp() }
    #expect(sampler.windowCount == Self.windows)
    #expect(Self.windowsOfEpoch(0, sampler) == Array(0..<Self.windows))
    var inputs: [Int32] = []
    var targets: [Int32] = []
    sampler.fill(inputs: &inputs, targets: &targets, firstSequence: 1, count: 2)
    #expect(inputs == [4, 5, 6, 7, 8, 9, 10, 11])
    #expect(targets == [5, 6, 7, 8, 9, 10, 11, 12])
  }

  @Test func aSeedVisitsEveryWindowOncePerEpochInAnOrderOfItsOwn() throws {
    let (sampler, cleanUp) = try Self.sampler(shuffleSeed: 7)
    defer { cleanUp() }
    let (other, cleanUpOther) = try Self.sampler(shuffleSeed: 8)
    defer { cleanUpOther() }
    let epochs = (0..<3).map { Self.windowsOfEpoch($0, sampler) }
    for order in epochs { #expect(order.sorted() == Array(0..<Self.windows)) }
    // 10! orders: two epochs or two seeds agreeing by chance is a 1-in-3.6-million event.
    #expect(epochs[0] != Array(0..<Self.windows))
    #expect(epochs[0] != epochs[1])
    #expect(Self.windowsOfEpoch(0, other) != epochs[0])
    // A pure function of the sequence index: asking again gives the same windows.
    #expect(Self.windowsOfEpoch(1, sampler) == epochs[1])
  }
}
