import SwiftletCore

/// Which tokens form each training or validation sequence, as a pure function of the step
/// (docs/configuration.md), so any rank, any layout and any resumed run reads the same data.
///
/// Sequence `i` of the stream (global index over the whole run: step `s` owns indices
/// `s·B ..< (s+1)·B`) is the `T + 1` tokens starting at token `window(i) · T`: its first `T`
/// tokens are inputs, its last `T` targets. Without shuffling `window(i) = i`, wrapping at the end
/// of the data. With shuffling, epoch `e = i / W` (W = windows in the data) visits the windows in
/// a random order keyed by `(seed, e)`: a Feistel permutation with cycle walking, so no
/// permutation table is stored however large the corpus is.
public struct BatchSampler {
  public let stream: TokenStream
  public let seqLen: Int
  /// The key of the per-epoch shuffle; nil reads the windows in file order.
  public let shuffleSeed: UInt64?

  public init(stream: TokenStream, seqLen: Int, shuffleSeed: UInt64? = nil) {
    self.stream = stream
    self.seqLen = seqLen
    self.shuffleSeed = shuffleSeed
  }

  /// Non-overlapping windows of `T` tokens (each sequence reads one extra token for targets).
  public var windowCount: Int { max(1, (stream.count - 1) / seqLen) }

  /// Token offset of global sequence `index`.
  public func offset(ofSequence index: Int) -> Int {
    guard let shuffleSeed else { return index * seqLen }
    let w = windowCount
    let epoch = index / w
    let position = index % w
    return FeistelPermutation(size: w, key: CounterRNG(seed: shuffleSeed, stream: UInt64(epoch)).key)
      .apply(position) * seqLen
  }

  /// Fills `inputs` and `targets` (`count · T` each) with sequences `first ..< first + count`.
  public func fill(inputs: inout [Int32], targets: inout [Int32], firstSequence first: Int, count: Int) {
    let t = seqLen
    if inputs.count != count * t { inputs = [Int32](repeating: 0, count: count * t) }
    if targets.count != count * t { targets = [Int32](repeating: 0, count: count * t) }
    var window = [Int32](repeating: 0, count: t + 1)
    for b in 0..<count {
      window.withUnsafeMutableBufferPointer { stream.read(offset: offset(ofSequence: first + b), into: $0) }
      for j in 0..<t {
        inputs[b * t + j] = window[j]
        targets[b * t + j] = window[j + 1]
      }
    }
  }
}

/// A keyed bijection on `0 ..< size`: a 4-round Feistel network on the smallest even power of
/// two ≥ size, re-applied until the value lands inside the range (cycle walking).
struct FeistelPermutation {
  let size: Int
  let key: UInt64
  private let halfBits: Int

  init(size: Int, key: UInt64) {
    self.size = size
    self.key = key
    var bits = 2
    while (1 << bits) < size { bits += 2 }
    halfBits = bits / 2
  }

  func apply(_ value: Int) -> Int {
    guard size > 1 else { return 0 }
    var x = value
    repeat { x = encrypt(x) } while x >= size
    return x
  }

  private func encrypt(_ value: Int) -> Int {
    let mask = (1 << halfBits) - 1
    var left = value >> halfBits
    var right = value & mask
    for round in 0..<4 {
      let f = Int(truncatingIfNeeded: CounterRNG(seed: key, stream: UInt64(round)).bits(UInt64(right))) & mask
      (left, right) = (right, left ^ f)
    }
    return (left << halfBits) | right
  }
}
